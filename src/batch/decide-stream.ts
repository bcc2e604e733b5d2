import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { FlagrouteError } from '../errors.js';
import { describeJsonSyntaxError } from '../json-syntax.js';
import type { Router } from '../router/router.js';
import { decodeUtf8, describeUtf8Fault } from '../utf8.js';

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
 * or context (the stream goes on); a line that is not UTF-8 is one, named by the column of its
 * first bad byte, never read as U+FFFD (another user, hashed unlike Python would). Lines end at
 * a line feed, a carriage return before it included. Honours backpressure; memory stays flat
 * for any input size.
 */
export async function decideStream(
  router: Router,
  input: Readable,
  output: Writable,
): Promise<DecideStreamReport> {
  const report: DecideStreamReport = { contexts: 0, failures: 0 };
  let lineNumber = 0;
  for await (const bytes of byteLines(input)) {
    lineNumber += 1;
    const line = decodeUtf8(bytes, { keepBom: true });
    if (typeof line === 'string' && line.trim() === '') continue;
    report.contexts += 1;
    let written: string;
    try {
      if (typeof line !== 'string') {
        const fault = describeUtf8Fault(line, 'the line', true);
        throw new FlagrouteError('PARSE_ERROR', `malformed JSON: ${fault}; send UTF-8`);
      }
      written = JSON.stringify({ line: lineNumber, ...(await router.decide(JSON.parse(line))) });
    } catch (error) {
      report.failures += 1;
      written = JSON.stringify({ line: lineNumber, ...errorOf(error, line) });
    }
    if (!output.write(`${written}\n`)) await once(output, 'drain');
  }
  return report;
}

function errorOf(error: unknown, line: unknown): { error: string } {
  if (error instanceof SyntaxError && typeof line === 'string')
    return { error: `malformed JSON: ${describeJsonSyntaxError(line)}` };
  if (error instanceof FlagrouteError) return { error: error.message };
  return { error: String(error) };
}

/**
 * The lines of a byte stream as bytes, without their line feed (nor a carriage return before
 * it): a line feed is never inside a multi-byte UTF-8 character, so a line decodes by itself
 * even when a character straddles two chunks.
 */
async function* byteLines(input: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let from = 0;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, from)) {
      const piece = bytes.subarray(from, at);
      yield withoutReturn(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      from = at + 1;
    }
    if (from < bytes.length) pending.push(bytes.subarray(from));
  }
  if (pending.length > 0) yield withoutReturn(Buffer.concat(pending));
}

function withoutReturn(line: Buffer): Buffer {
  return line.at(-1) === 13 ? line.subarray(0, -1) : line;
}
