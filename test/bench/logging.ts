import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Detailed logging's cost, and whether every line arrived or was counted as dropped. */
export interface LoggingResult {
  offNs: number;
  onNs: number;
  onMin: number;
  onMax: number;
  /** Each round's on - off, in the order run. */
  addedRoundsNs: number[];
  addedNs: number;
  decisionsLogged: number;
  /** Lines the logger dropped (counted, and said in a warning line). */
  dropped: number;
  linesReceived: number;
}

function exited(child: ReturnType<typeof spawn>, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited ${code}`)),
    );
  });
}

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

/**
 * Runs logging-child.js with its stderr a pipe read by `cat`, as a container's log collector
 * reads it, which writes the lines to a file; the decision lines in the file are counted after.
 */
export async function benchmarkLogging(configDir: string): Promise<LoggingResult> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-bench-log-'));
  const file = await open(join(dir, 'stderr.log'), 'w');
  try {
    const cat = spawn('cat', [], { stdio: ['pipe', file.fd, 'inherit'] });
    const pipe = cat.stdin!;
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'logging-child.js'), configDir],
      { stdio: ['ignore', 'pipe', pipe] },
    );
    // The child holds its own end of the pipe now; cat sees the end when the child exits.
    pipe.destroy();
    const [stdout] = await Promise.all([
      collect(child.stdout!),
      exited(child, 'logging-child'),
      exited(cat, 'cat'),
    ]);
    const measured = JSON.parse(stdout) as Omit<LoggingResult, 'addedNs' | 'linesReceived'>;
    const text = await readFile(join(dir, 'stderr.log'), 'utf8');
    const linesReceived = text.split('"msg":"decision"').length - 1;
    return { ...measured, addedNs: measured.onNs - measured.offNs, linesReceived };
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The logging section of docs/benchmarks.md. */
export function renderLogging(result: LoggingResult): string[] {
  const accounted = result.linesReceived + result.dropped;
  return [
    '## Detailed logging',
    '',
    'Decisions with `enable_detailed_logging` and `log_level: debug` (one JSON line per decision on stderr, a pipe read by `cat`, which writes a file) against the same router settings with detailed logging off, alternating, 7 rounds of 50,000 decisions, in a process of its own. The default logger hands its lines to a writer thread, so a slow reader never holds the event loop; at most 8 Mi characters wait, and lines past that are dropped, counted and reported in a warning line.',
    '',
    `- off: ${result.offNs.toFixed(0)} ns/decision; on: ${result.onNs.toFixed(0)} ns/decision (rounds ${result.onMin.toFixed(0)}–${result.onMax.toFixed(0)}); added: ${(result.addedNs / 1000).toFixed(2)} µs, per round ${result.addedRoundsNs.map((ns) => (ns / 1000).toFixed(2)).join(', ')} (target <= 2 µs): ${result.addedNs <= 2000 ? 'met' : 'NOT met'}`,
    `- lines: ${result.linesReceived.toLocaleString('en')} received and ${result.dropped.toLocaleString('en')} dropped (counted) of ${result.decisionsLogged.toLocaleString('en')} logged decisions (the child exits right after its last decision): ${accounted === result.decisionsLogged ? 'every line accounted for' : 'LINES LOST WITHOUT A COUNT'}`,
    '',
  ];
}
