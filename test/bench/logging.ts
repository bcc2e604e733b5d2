import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Detailed logging's cost, and whether every line arrived. */
export interface LoggingResult {
  offNs: number;
  onNs: number;
  onMin: number;
  onMax: number;
  addedNs: number;
  decisionsLogged: number;
  linesReceived: number;
}

/**
 * The pipe's reader, a process of its own as a log shipper would be: it counts decision lines on
 * the bytes (no string per line) and prints the count when the pipe closes. Reading in the bench
 * process itself measured the bench's own heap and GC (by then holding 10 M decisions' worth of
 * state) as much as flagroute: rounds ran from 7 to 18 us.
 */
const READER = `
const mark = Buffer.from('"msg":"decision"');
let count = 0;
let tail = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  const bytes = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
  let from = 0;
  for (let at = bytes.indexOf(mark); at !== -1; at = bytes.indexOf(mark, from)) {
    count += 1;
    from = at + mark.length;
  }
  tail = bytes.subarray(Math.max(from, bytes.length - mark.length + 1));
});
process.stdin.on('end', () => process.stdout.write(String(count)));
`;

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    stream.once('end', () => resolve(text));
    stream.once('error', reject);
  });
}

function exited(child: ReturnType<typeof spawn>, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited ${code}`)),
    );
  });
}

/** Runs logging-child.js with its stderr a pipe into a separate reader process. */
export async function benchmarkLogging(configDir: string): Promise<LoggingResult> {
  const reader = spawn(process.execPath, ['-e', READER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'logging-child.js'), configDir],
    { stdio: ['ignore', 'pipe', reader.stdin] },
  );
  // The child holds its own end of the pipe now; the reader sees the end when the child exits.
  reader.stdin.destroy();
  const [stdout, count] = await Promise.all([
    collect(child.stdout!),
    collect(reader.stdout),
    exited(child, 'logging-child'),
    exited(reader, 'the log reader'),
  ]);
  const measured = JSON.parse(stdout) as Omit<LoggingResult, 'addedNs' | 'linesReceived'>;
  return { ...measured, addedNs: measured.onNs - measured.offNs, linesReceived: Number(count) };
}

/** The logging section of docs/benchmarks.md. */
export function renderLogging(result: LoggingResult): string[] {
  return [
    '## Detailed logging',
    '',
    `Decisions with \`enable_detailed_logging\` and \`log_level: debug\` (one JSON line per decision on stderr, a pipe read by a separate reader process that counts the lines) against the same router settings with detailed logging off, alternating, 7 rounds of 50,000 decisions, in a process of its own.`,
    '',
    `- off: ${result.offNs.toFixed(0)} ns/decision; on: ${result.onNs.toFixed(0)} ns/decision (rounds ${result.onMin.toFixed(0)}–${result.onMax.toFixed(0)}); added: ${(result.addedNs / 1000).toFixed(2)} µs (target <= 2 µs): ${result.addedNs <= 2000 ? 'met' : 'NOT met'}`,
    `- lines: ${result.linesReceived.toLocaleString('en')} received of ${result.decisionsLogged.toLocaleString('en')} logged decisions (the child exits right after its last decision): ${result.linesReceived === result.decisionsLogged ? 'none lost' : 'LINES LOST'}`,
    '',
  ];
}
