import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { describeJsonSyntaxError } from '../json-syntax.js';
import { decodeUtf8, describeUtf8Fault } from '../utf8.js';
import { badGzip, unreadableFile } from './event-file-errors.js';
import { foldRecord, type RecordFolder } from './fold-record.js';
import { LineSplitter } from './line-splitter.js';
import { scanEventLine } from './scan-event-line.js';

/** A line that is not an outcome event. */
export interface MalformedLine {
  file: string;
  line: number;
  problem: string;
}

/** How many malformed lines are kept as examples; the rest are only counted. */
export const MALFORMED_KEPT = 20;

/** The lines of one part of a file: how many, and which could not be read. */
export interface PartLines {
  /** Lines in the part (blank ones too), for numbering the next part's lines. */
  lineCount: number;
  lines: number;
  malformed: number;
  /** Line numbers counted from the part's first line (1). */
  examples: MalformedLine[];
  /** The line (counted from the part's first) that passed the length limit; reading stopped there. */
  tooLong?: number;
}

/** What reading one part needs besides the file: the line limit, and where decision ids go. */
export interface PartReading {
  maxLineBytes: number;
  onDecisionId(id: string, line: number): void;
  /** When set, reading pauses while it is backlogged (another thread has much of this one's to fold). */
  throttle?: ReadThrottle;
}

/** What can ask a reader to wait (a `UserExchange` whose batches are not yet folded). */
export interface ReadThrottle {
  backlogged(): boolean;
  onRelieved(resume: () => void): void;
}

/** A byte range of a file, both ends included. */
export interface Range {
  start?: number;
  end?: number;
}

/**
 * One file or one byte range of it, folded into `accumulator`; split into lines by hand rather
 * than by `readline`, whose per-line async iteration was a fifth of the time on a million events,
 * and whose lines have no length limit. A line past the limit stops reading (and inflating) at
 * once and is returned as `tooLong`; I/O and gzip errors are thrown naming the file.
 */
export async function readPart(
  file: string,
  range: Range,
  accumulator: RecordFolder,
  onProgress: ((bytes: number) => void) | undefined,
  reading: PartReading,
): Promise<PartLines> {
  const part: PartLines = { lineCount: 0, lines: 0, malformed: 0, examples: [] };
  const splitter = new LineSplitter((bytes, from, to, number) => {
    const value = scanEventLine(bytes, from, to) ?? parseBytes(bytes, from, to);
    if (value === BLANK) return;
    part.lines += 1;
    const problem = addLine(accumulator, value, number, reading);
    if (problem === undefined) return;
    part.malformed += 1;
    if (part.examples.length < MALFORMED_KEPT) part.examples.push({ file, line: number, problem });
  }, reading.maxLineBytes);
  const gunzip = file.endsWith('.gz') ? createGunzip() : undefined;
  // Compressed data keeps the stream's 64 KiB reads: each can inflate to a thousand times more.
  const raw = createReadStream(
    file,
    gunzip ? range : { ...range, highWaterMark: READ_CHUNK_BYTES },
  );
  const input = gunzip ? raw.pipe(gunzip) : raw;
  await new Promise<void>((resolve, reject) => {
    let stopped = false;
    const stop = (error?: Error) => {
      if (stopped) return;
      stopped = true;
      raw.destroy();
      gunzip?.destroy();
      if (error) reject(error);
      else resolve();
    };
    raw.on('error', (error) => stop(unreadableFile(file, error)));
    gunzip?.on('error', (error) => stop(badGzip(file, splitter.count, error)));
    if (onProgress) raw.on('data', (chunk) => onProgress(chunk.length));
    const { throttle } = reading;
    input.on('data', (chunk: Buffer) => {
      if (stopped) return;
      if (!splitter.push(chunk)) {
        part.tooLong = splitter.count + 1;
        stop();
      } else if (throttle?.backlogged()) {
        input.pause();
        throttle.onRelieved(() => input.resume());
      }
    });
    input.on('end', () => {
      if (stopped) return;
      splitter.end();
      stop();
    });
  });
  part.lineCount = splitter.count;
  return part;
}

/** A line that is not UTF-8 or that `JSON.parse` refused, with where and why in words. */
class NotJson {
  constructor(readonly problem: string) {}
}

/** Bytes of a plain file read at a time: fewer round trips to the I/O threads than 64 KiB. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** A line of white space only: not counted, not a problem. */
const BLANK = Symbol('blank line');

/**
 * A line the fast reader left, `bytes[from, to)`: not UTF-8 (said by the column of its first bad
 * byte, never read as U+FFFD: a user id read so would be another user, hashed unlike Python
 * would), blank, or what `JSON.parse` makes of it.
 */
function parseBytes(bytes: Buffer, from: number, to: number): unknown {
  const text = decodeUtf8(bytes, { keepBom: true }, from, to);
  if (typeof text !== 'string') return new NotJson(describeUtf8Fault(text, 'the line', true));
  if (text.trim() === '') return BLANK;
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  try {
    return JSON.parse(line);
  } catch {
    return new NotJson(`not JSON: ${describeJsonSyntaxError(line)}`);
  }
}

function addLine(
  accumulator: RecordFolder,
  value: unknown,
  number: number,
  reading: PartReading,
): string | undefined {
  if (value instanceof NotJson) return value.problem;
  const folded = foldRecord(accumulator, value);
  if ('problem' in folded) return folded.problem;
  if (folded.outcome?.decisionId !== undefined) {
    reading.onDecisionId(folded.outcome.decisionId, number);
  }
  return undefined;
}
