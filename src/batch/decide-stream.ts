import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { FlagrouteError } from '../errors.js';
import { describeJsonSyntaxError } from '../json-syntax.js';
import type { Router } from '../router/router.js';

/** How a stream of contexts went. */
export interface DecideStreamReport {
  /** Lines that held a context (blank lines are skipped). */
  contexts: number;
  /** Lines that gave an error line instead of a decision. */
  failures: number;
}

/**
 * Decides one JSON context per line of `input` and writes one JSON line per context to
 * `output`: the decision with its `line` number, or `{line, error}` for a malformed line
 * or context (the stream goes on). Honours backpressure; memory stays flat for any input size.
 */
export async function decideStream(
  router: Router,
  input: Readable,
  output: Writable,
): Promise<DecideStreamReport> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const report: DecideStreamReport = { contexts: 0, failures: 0 };
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    report.contexts += 1;
    let written: string;
    try {
      written = JSON.stringify({ line: lineNumber, ...(await router.decide(JSON.parse(line))) });
    } catch (error) {
      report.failures += 1;
      written = JSON.stringify({ line: lineNumber, ...errorOf(error, line) });
    }
    if (!output.write(`${written}\n`)) await once(output, 'drain');
  }
  return report;
}

function errorOf(error: unknown, line: string): { error: string } {
  if (error instanceof SyntaxError)
    return { error: `malformed JSON: ${describeJsonSyntaxError(line)}` };
  if (error instanceof FlagrouteError) return { error: error.message };
  return { error: String(error) };
}
