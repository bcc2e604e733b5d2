import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { FlagrouteError } from '../errors.js';
import { DecisionIdSet, FINGERPRINT, fingerprint } from './decision-ids.js';
import { type AccumulatorState, EventAccumulator } from './event-accumulator.js';
import { directoryGiven, lineTooLong, unreadableFile } from './event-file-errors.js';
import { MAX_LINE_BYTES } from './line-splitter.js';
import {
  MALFORMED_KEPT,
  type MalformedLine,
  type PartLines,
  type PartReading,
  type Range,
  readPart,
} from './read-event-part.js';
import { UserExchange } from './user-exchange.js';

/** A line of an event file. */
export interface EventLine {
  file: string;
  line: number;
}

/** The events of some files, folded, with what could not be read. */
export interface ReadEvents {
  accumulator: EventAccumulator;
  lines: number;
  malformed: number;
  /** The first malformed lines (at most {@link MALFORMED_KEPT}), in reading order. */
  examples: MalformedLine[];
  /** Outcomes whose decision id an earlier line (of any file read) already had; counted as given. */
  duplicateDecisionIds: number;
  /** The first of them (at most {@link MALFORMED_KEPT}), in reading order. */
  duplicateExamples: EventLine[];
}

/** Options of {@link readEventFiles}. */
export interface ReadEventOptions {
  /** Called with the bytes read so far, as they are read. */
  onProgress?: (bytes: number) => void;
  /**
   * Threads for a large uncompressed file: this one and `threads - 1` workers. Default: the
   * machine's cores, at most 8. (This thread reads a part too: merging one more worker's
   * tallies of a million users cost more than the part took to read.)
   */
  threads?: number;
  /** Files from this size up are read by several threads. Default 64 MiB. */
  parallelMinBytes?: number;
  /** A longer line stops reading with a `file:line` error. Default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

/** What a worker thread sends back: its part's lines and what it folded, as plain data. */
export type PartResult = PartLines & {
  state: AccumulatorState;
  /** The part's decision ids in reading order, as (high, low, line) fingerprint triples. */
  decisionIds: Uint32Array;
};

const WORKER = new URL('./event-reader-worker.js', import.meta.url);

/**
 * Streams JSON-lines event files (`.gz` decompressed on the fly) into one accumulator, in one
 * pass: memory grows with the number of users (and of decision ids), not with a line's length:
 * a line longer than `maxLineBytes` stops reading with a `file:line` error, before more of it is
 * read or inflated. A line that is not valid JSON or not an outcome event is skipped and
 * counted, with its file:line; an outcome repeating an earlier decision id is counted and
 * reported. Blank lines are ignored. A large uncompressed file is split at line boundaries and
 * read by this thread and worker threads, each user tallied by one of them (see
 * {@link UserExchange}), whose tallies are then joined (the result is the same, to the order of
 * floating-point additions). A file that cannot be read, a directory or damaged gzip
 * data is an `INVALID_DATA` error naming the file as given.
 */
export async function readEventFiles(
  files: readonly string[],
  options: ReadEventOptions | ((bytes: number) => void) = {},
): Promise<ReadEvents> {
  const settings = typeof options === 'function' ? { onProgress: options } : options;
  const result: ReadEvents = {
    accumulator: new EventAccumulator(),
    lines: 0,
    malformed: 0,
    examples: [],
    duplicateDecisionIds: 0,
    duplicateExamples: [],
  };
  const sizes = await Promise.all(files.map(sizeOf));
  const threads = settings.threads ?? Math.min(8, availableParallelism());
  const maxLineBytes = settings.maxLineBytes ?? MAX_LINE_BYTES;
  const seen = new DecisionIdSet();
  const duplicate = (file: string, line: number) => {
    result.duplicateDecisionIds += 1;
    if (result.duplicateExamples.length < MALFORMED_KEPT)
      result.duplicateExamples.push({ file, line });
  };
  for (const [index, file] of files.entries()) {
    const size = sizes[index]!;
    const parallel =
      threads > 1 &&
      !file.endsWith('.gz') &&
      size >= (settings.parallelMinBytes ?? 64 * 1024 * 1024) &&
      existsSync(fileURLToPath(WORKER));
    // This thread folds straight into the result (the first part of a file read in parts, and
    // the whole of any other); the worker threads' tallies of the other parts are joined to it.
    const reading: PartReading = {
      maxLineBytes,
      onDecisionId(id, line) {
        fingerprint(id);
        if (!seen.add(FINGERPRINT.high, FINGERPRINT.low)) duplicate(file, line);
      },
    };
    const ranges = parallel ? await partsOf(file, size, threads) : [{}];
    // The users of this file are shared out by owner between its readers, so the workers' users
    // join this thread's without a lookup, unless an earlier file left users here already.
    const disjoint = result.accumulator.usersTallied === 0;
    const parts = await readParts(file, ranges, result.accumulator, settings.onProgress, reading);
    let before = 0;
    for (const part of parts) {
      if (part.state && disjoint) result.accumulator.mergeDisjoint(part.state);
      else if (part.state) result.accumulator.merge(part.state);
      const ids = part.decisionIds ?? new Uint32Array(0);
      for (let at = 0; at < ids.length; at += 3) {
        if (!seen.add(ids[at]!, ids[at + 1]!)) duplicate(file, before + ids[at + 2]!);
      }
      result.lines += part.lines;
      result.malformed += part.malformed;
      for (const example of part.examples) {
        if (result.examples.length < MALFORMED_KEPT) {
          result.examples.push({ ...example, line: example.line + before });
        }
      }
      if (part.tooLong !== undefined) throw lineTooLong(file, before + part.tooLong, maxLineBytes);
      before += part.lineCount;
    }
  }
  return result;
}

/** The size of a file to read, or the error that names it: missing, unreadable, a directory. */
async function sizeOf(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw directoryGiven(file);
    return info.size;
  } catch (error) {
    throw error instanceof FlagrouteError ? error : unreadableFile(file, error);
  }
}

/**
 * This thread's part, as a share of a worker's: it also checks every decision id of its part as
 * it reads (a table lookup a line), and a worker waited for it at the end, idle for 5 to 15 % of
 * its time at 1e6 and 1e7 events.
 */
const THIS_THREAD_SHARE = 0.9;

/** Byte ranges each starting at a line's start, of about equal size but the first (this thread's). */
async function partsOf(file: string, size: number, count: number): Promise<Range[]> {
  const handle = await open(file, 'r');
  try {
    const starts = [0];
    const probe = Buffer.alloc(64 * 1024);
    const shares = count - 1 + THIS_THREAD_SHARE;
    for (let index = 1; index < count; index += 1) {
      let at = Math.floor((size * (index - 1 + THIS_THREAD_SHARE)) / shares);
      if (at <= starts.at(-1)!) continue;
      for (;;) {
        const { bytesRead } = await handle.read(probe, 0, probe.length, at);
        if (bytesRead === 0) {
          at = size;
          break;
        }
        const newline = probe.subarray(0, bytesRead).indexOf(10);
        if (newline !== -1) {
          at += newline + 1;
          break;
        }
        at += bytesRead;
      }
      if (at < size && at > starts.at(-1)!) starts.push(at);
    }
    return starts.map((start, index) => ({ start, end: (starts[index + 1] ?? size) - 1 }));
  } finally {
    await handle.close();
  }
}

/**
 * Reads `ranges` of a file, the first on this thread into `accumulator`, the others on worker
 * threads, the users shared out by owner (see {@link UserExchange}); resolves with each part's
 * lines, the workers' with their tallies. A failing reader stops them all.
 */
async function readParts(
  file: string,
  ranges: Range[],
  accumulator: EventAccumulator,
  onProgress: ((bytes: number) => void) | undefined,
  reading: PartReading,
): Promise<(PartLines & Partial<PartResult>)[]> {
  if (ranges.length === 1)
    return [await readPart(file, ranges[0]!, accumulator, onProgress, reading)];
  const ports = portsBetween(ranges.length);
  const exchange = new UserExchange(0, ports[0]!, accumulator.ownUsers());
  const workers = startWorkers(file, ranges, ports, reading.maxLineBytes);
  accumulator.routeUsers(exchange);
  try {
    const [first, rest] = await Promise.all([
      readPart(file, ranges[0]!, accumulator, onProgress, { ...reading, throttle: exchange }).then(
        async (lines) => {
          await exchange.finish();
          return lines;
        },
      ),
      partsFrom(workers, file, onProgress),
    ]);
    return [first, ...rest];
  } catch (error) {
    // A reader that failed never says it is done: the others would wait for it for ever.
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  } finally {
    exchange.close();
    accumulator.routeUsers(undefined);
  }
}

/** A port to each other reader of a file, for each of its `count` readers (one pair per two). */
function portsBetween(count: number): (MessagePort | undefined)[][] {
  const ports: (MessagePort | undefined)[][] = Array.from({ length: count }, () =>
    new Array<MessagePort | undefined>(count).fill(undefined),
  );
  for (let a = 0; a < count; a += 1) {
    for (let b = a + 1; b < count; b += 1) {
      const { port1, port2 } = new MessageChannel();
      ports[a]![b] = port1;
      ports[b]![a] = port2;
    }
  }
  return ports;
}

/** A worker thread for each range but the first (this thread's), with its ports to the others. */
function startWorkers(
  file: string,
  ranges: Range[],
  ports: (MessagePort | undefined)[][],
  maxLineBytes: number,
): Worker[] {
  return ranges.slice(1).map((range, index) => {
    const thread = index + 1;
    const own = ports[thread]!;
    return new Worker(WORKER, {
      workerData: { file, range, maxLineBytes, thread, ports: own },
      transferList: own.filter((port) => port !== undefined),
    });
  });
}

/** What each worker folded, or the first worker's failure. */
function partsFrom(
  workers: Worker[],
  file: string,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<PartResult[]> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<PartResult>((resolve, reject) => {
          worker.on('message', (message: { progress?: number; part?: PartResult }) => {
            if (message.progress !== undefined) onProgress?.(message.progress);
            if (message.part) resolve(message.part);
          });
          // The thread's errors name the file already; they arrive as plain errors.
          worker.once('error', (error) =>
            reject(new FlagrouteError('INVALID_DATA', error.message, { cause: error })),
          );
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`the event reader thread for ${file} exited ${code}`));
          });
        }),
    ),
  );
}
