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

const DECISION_MARK = Buffer.from('"msg":"decision"');

/** Runs logging-child.js with its stderr a pipe this process reads (and discards) line by line. */
export function benchmarkLogging(configDir: string): Promise<LoggingResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      join(import.meta.dirname, 'logging-child.js'),
      configDir,
    ]);
    let stdout = '';
    let linesReceived = 0;
    // Counted on the bytes, as a log shipper would read them: no string per line, so the reader
    // keeps up and the child's figure is its own cost, not this process's.
    let tail: Buffer = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const bytes = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      let from = 0;
      for (
        let at = bytes.indexOf(DECISION_MARK);
        at !== -1;
        at = bytes.indexOf(DECISION_MARK, from)
      ) {
        linesReceived += 1;
        from = at + DECISION_MARK.length;
      }
      // A marker split across two chunks is found once the next chunk arrives.
      tail = bytes.subarray(Math.max(from, bytes.length - DECISION_MARK.length + 1));
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`logging-child exited ${code}`));
      const measured = JSON.parse(stdout) as Omit<LoggingResult, 'addedNs' | 'linesReceived'>;
      resolve({ ...measured, addedNs: measured.onNs - measured.offNs, linesReceived });
    });
  });
}

/** The logging section of docs/benchmarks.md. */
export function renderLogging(result: LoggingResult): string[] {
  return [
    '## Detailed logging',
    '',
    `Decisions with \`enable_detailed_logging\` and \`log_level: debug\` (one JSON line per decision on stderr, a pipe read by the bench process) against the same router settings with detailed logging off, alternating, 7 rounds of 50,000 decisions, in a process of its own.`,
    '',
    `- off: ${result.offNs.toFixed(0)} ns/decision; on: ${result.onNs.toFixed(0)} ns/decision (rounds ${result.onMin.toFixed(0)}–${result.onMax.toFixed(0)}); added: ${(result.addedNs / 1000).toFixed(2)} µs (target <= 2 µs): ${result.addedNs <= 2000 ? 'met' : 'NOT met'}`,
    `- lines: ${result.linesReceived.toLocaleString('en')} received of ${result.decisionsLogged.toLocaleString('en')} logged decisions (the child exits right after its last decision): ${result.linesReceived === result.decisionsLogged ? 'none lost' : 'LINES LOST'}`,
    '',
  ];
}
