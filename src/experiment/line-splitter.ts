import { FlagrouteError } from '../errors.js';
import { decodeUtf8, describeUtf8Fault } from '../utf8.js';

/**
 * The longest event line a reader accepts, in bytes (without its line break). An outcome event
 * is a few hundred bytes; a longer line is not an event log (or is hostile), and refusing it is
 * what keeps a reader's memory and time bounded whatever the input.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Receives one line: its bytes are `bytes[from, to)`, valid only during the call. */
export type LineBytesHandler = (bytes: Buffer, from: number, to: number, number: number) => void;

/**
 * A handler of lines as text (UTF-8): for callers that read every line as a string. A line that
 * is not UTF-8 throws `INVALID_DATA` naming its number and the column of its first bad byte,
 * rather than reaching `onLine` with U+FFFD in place of its bytes.
 */
export function textLines(onLine: (line: string, number: number) => void): LineBytesHandler {
  return (bytes, from, to, number) => {
    const text = decodeUtf8(bytes, { keepBom: true }, from, to);
    if (typeof text === 'string') return onLine(text, number);
    const fault = describeUtf8Fault(text, 'the line', true);
    throw new FlagrouteError('INVALID_DATA', `line ${number}: ${fault}; send UTF-8`);
  };
}

/**
 * Splits a byte stream into lines, never holding more than `maxLineBytes` of one line: `push`
 * returns false as soon as a line passes the limit (its number is `count + 1`), so a caller can
 * stop reading (and inflating) at once. Lines are handed over as bytes, without a copy unless a
 * line spans two chunks; a line break is never inside a multi-byte UTF-8 character, so decoding a
 * line by itself ({@link textLines}) splits no character.
 */
export class LineSplitter {
  /** Lines passed to `onLine` so far. */
  count = 0;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;

  constructor(
    private readonly onLine: LineBytesHandler,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  /** Takes the next bytes; false when the line under way is longer than the limit. */
  push(chunk: Buffer): boolean {
    let from = 0;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, from)) {
      if (this.pieceBytes + (at - from) > this.maxLineBytes) return false;
      this.emit(chunk, from, at);
      from = at + 1;
    }
    if (from < chunk.length) {
      if (this.pieceBytes + (chunk.length - from) > this.maxLineBytes) return false;
      this.pieces.push(chunk.subarray(from));
      this.pieceBytes += chunk.length - from;
    }
    return true;
  }

  /** The end of the input: a last line without a line break is a line too. */
  end(): void {
    if (this.pieceBytes > 0) this.emit(Buffer.alloc(0), 0, 0);
  }

  private emit(chunk: Buffer, from: number, to: number): void {
    this.count += 1;
    if (this.pieceBytes === 0) {
      this.onLine(chunk, from, to, this.count);
      return;
    }
    this.pieces.push(chunk.subarray(from, to));
    const line = Buffer.concat(this.pieces);
    this.pieces = [];
    this.pieceBytes = 0;
    this.onLine(line, 0, line.length, this.count);
  }
}
