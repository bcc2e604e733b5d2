/**
 * The longest event line a reader accepts, in bytes (without its line break). An outcome event
 * is a few hundred bytes; a longer line is not an event log (or is hostile), and refusing it is
 * what keeps a reader's memory and time bounded whatever the input.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Splits a byte stream into lines, never holding more than `maxLineBytes` of one line: `push`
 * returns false as soon as a line passes the limit (its number is `count + 1`), so a caller can
 * stop reading (and inflating) at once. Lines are decoded as UTF-8 one by one; a line break is
 * never inside a multi-byte character, so no character is split.
 */
export class LineSplitter {
  /** Lines passed to `onLine` so far. */
  count = 0;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;

  constructor(
    private readonly onLine: (line: string, number: number) => void,
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
    let line: string;
    if (this.pieceBytes === 0) line = chunk.toString('utf8', from, to);
    else {
      this.pieces.push(chunk.subarray(from, to));
      line = Buffer.concat(this.pieces).toString('utf8');
      this.pieces = [];
      this.pieceBytes = 0;
    }
    this.count += 1;
    this.onLine(line, this.count);
  }
}
