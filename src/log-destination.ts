import { writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { Worker } from 'node:worker_threads';
import { escapeJsonLine } from './log-escapes.js';

/**
 * Log text gathered before it is handed to the writer, in UTF-16 code units: a message to the
 * thread has a fixed cost of several microseconds, shared by the lines of a batch.
 */
const BATCH_CHARS = 64 * 1024;
/**
 * Log text waiting for the reader of stderr, at most: 8 Mi code units (up to 24 MiB of UTF-8).
 * A line that would pass it is dropped and counted.
 */
export const MAX_PENDING_CHARS = 8 * 1024 * 1024;
/** How long the process waits at exit for the writer to hand its lines to stderr. */
const EXIT_FLUSH_MS = 2000;

/** Slots of the counters the writer thread keeps in shared memory. */
const CHARS_DONE = 0;
const LINES_FAILED = 1;
const BATCHES_DONE = 2;
const LINES_DONE = 3;

/**
 * The writer thread: it writes each batch to the file descriptor, blocking there when the
 * reader of a pipe is slow (its own thread, never the event loop), and counts in shared memory
 * what it has done: the event loop reads the counts without waiting for a message, which a
 * loop of decisions that never yields would not receive.
 */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const counts = new BigInt64Array(workerData.counts);
const pause = new Int32Array(new SharedArrayBuffer(4));
parentPort.on('message', ({ text, lines }) => {
  const bytes = Buffer.from(text);
  let offset = 0;
  let ok = true;
  while (offset < bytes.length) {
    try {
      offset += writeSync(workerData.fd, bytes, offset);
    } catch (error) {
      if (error.code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 1); continue; }
      ok = false;
      break;
    }
  }
  if (!ok) Atomics.add(counts, ${LINES_FAILED}, BigInt(lines));
  Atomics.add(counts, ${CHARS_DONE}, BigInt(text.length));
  Atomics.add(counts, ${LINES_DONE}, BigInt(lines));
  Atomics.add(counts, ${BATCHES_DONE}, 1n);
  Atomics.notify(counts, ${BATCHES_DONE});
});
`;

/**
 * A log destination on a file descriptor (stderr) that never blocks the event loop: lines are
 * gathered for a turn of the loop (or 16 Ki code units) and handed to a writer thread, which
 * blocks on a slow pipe in the loop's stead. What waits is bounded by
 * {@link MAX_PENDING_CHARS}: past it, lines are dropped and counted ({@link dropped}), and once
 * the writer has caught up a warning line says how many were lost. At exit the process waits
 * up to 2 s for the writer to hand every line to the file descriptor.
 */
export class LogDestination {
  private droppedHere = 0;
  private reported = 0;
  private batch: string[] = [];
  private batchChars = 0;
  private scheduled = false;
  private postedChars = 0;
  private postedLines = 0;
  private postedBatches = 0;
  /** The writer's count of characters done, as last read. */
  private charsDone = 0;
  private writer: { worker: Worker; counts: BigInt64Array } | null | undefined;

  constructor(private readonly fd: number) {}

  /** Lines dropped because the reader did not keep up, or the descriptor refused them. */
  get dropped(): number {
    const counts = this.writer?.counts;
    return this.droppedHere + (counts ? Number(Atomics.load(counts, LINES_FAILED)) : 0);
  }

  /**
   * Takes one line (pino calls this). What pino's JSON leaves raw of a caller's text (C1
   * controls, U+2028, U+2029, bidirectional controls) is escaped here, as JSON escapes, so
   * that the line reads as one line of text and parses to the same values.
   */
  write(line: string): void {
    this.writeEscaped(escapeJsonLine(line));
  }

  /**
   * Takes one line already escaped as {@link write} would escape it: a line framed by
   * flagroute (the decision line), which escapes only its fields of a caller's text, a few
   * dozen characters, where scanning the whole line cost some 190 ns a decision.
   */
  writeEscaped(line: string): void {
    if (this.pending() + line.length > MAX_PENDING_CHARS && this.overBound(line.length)) {
      this.droppedHere += 1;
      return;
    }
    this.batch.push(line);
    this.batchChars += line.length;
    if (this.batchChars >= BATCH_CHARS) this.post();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.postSoon).unref();
    }
  }

  /** Characters gathered or handed over and not yet written, by the last count read. */
  private pending(): number {
    return this.batchChars + this.postedChars - this.charsDone;
  }

  /** Reads the writer's count again; true when `more` characters would still pass the bound. */
  private overBound(more: number): boolean {
    const counts = this.writer?.counts;
    if (counts) this.charsDone = Number(Atomics.load(counts, CHARS_DONE));
    return this.pending() + more > MAX_PENDING_CHARS;
  }

  private readonly postSoon = () => {
    this.scheduled = false;
    this.post();
  };

  /** Hands the gathered lines to the writer thread (or writes them, when it cannot start). */
  private post(): void {
    this.reportDrops();
    if (this.batch.length === 0) return;
    const text = this.batch.join('');
    const lines = this.batch.length;
    this.batch = [];
    this.batchChars = 0;
    const writer = this.startWriter();
    if (writer === null) {
      this.writeNow(text, lines);
      return;
    }
    this.postedChars += text.length;
    this.postedLines += lines;
    this.postedBatches += 1;
    writer.worker.postMessage({ text, lines });
  }

  /** Once the writer has caught up with half the bound, one warning line for the drops. */
  private reportDrops(): void {
    const dropped = this.dropped;
    if (dropped === this.reported || this.overBound(MAX_PENDING_CHARS / 2)) return;
    const lost = dropped - this.reported;
    this.reported = dropped;
    const line = droppedLine(lost, dropped);
    this.batch.push(line);
    this.batchChars += line.length;
  }

  private startWriter(): { worker: Worker; counts: BigInt64Array } | null {
    if (this.writer !== undefined) return this.writer;
    try {
      const shared = new SharedArrayBuffer(4 * BigInt64Array.BYTES_PER_ELEMENT);
      // No execArgv: a parent run with --input-type=module would make the script a module.
      const worker = new Worker(WRITER, {
        eval: true,
        execArgv: [],
        workerData: { fd: this.fd, counts: shared },
      });
      // A writer that failed leaves the lines it held counted as lost; later ones are written
      // on the event loop, as a last resort.
      worker.on('error', () => this.lost());
      worker.on('exit', () => this.lost());
      // Never holds the process open (after the listeners, which ref it).
      worker.unref();
      this.writer = { worker, counts: new BigInt64Array(shared) };
    } catch {
      this.writer = null;
    }
    return this.writer;
  }

  private lost(): void {
    const writer = this.writer;
    if (!writer) return;
    this.writer = null;
    const counts = writer.counts;
    this.droppedHere +=
      this.postedLines -
      Number(Atomics.load(counts, LINES_DONE)) +
      Number(Atomics.load(counts, LINES_FAILED));
    this.postedChars = 0;
    this.charsDone = 0;
  }

  private writeNow(text: string, lines: number): void {
    try {
      writeSync(this.fd, text);
    } catch {
      this.droppedHere += lines;
    }
  }

  /**
   * Hands every gathered line to the writer and waits, up to 2 s, until it has written them:
   * for the exit of the process, when nothing else runs.
   */
  flushAtExit(): void {
    const deadline = performance.now() + EXIT_FLUSH_MS;
    this.post();
    this.waitForWriter(deadline);
    // Drops not yet reported (the writer was behind at the last batch): say so now.
    if (this.dropped > this.reported && this.writer) {
      this.post();
      this.waitForWriter(deadline);
    }
  }

  private waitForWriter(deadline: number): void {
    const writer = this.writer;
    if (!writer) return;
    for (;;) {
      const done = Atomics.load(writer.counts, BATCHES_DONE);
      const left = deadline - performance.now();
      if (Number(done) >= this.postedBatches || left <= 0) return;
      Atomics.wait(writer.counts, BATCHES_DONE, done, left);
    }
  }
}
/** The warning that says how many lines were lost, as pino would frame it. */
function droppedLine(lost: number, total: number): string {
  return `${JSON.stringify({
    level: 40,
    time: Date.now(),
    pid: process.pid,
    hostname: hostname(),
    name: 'flagroute',
    droppedLines: lost,
    droppedLinesTotal: total,
    msg: `${lost} log line${lost === 1 ? '' : 's'} dropped: stderr's reader did not keep up (at most ${MAX_PENDING_CHARS / 1024 / 1024} Mi characters wait for it)`,
  })}\n`;
}
