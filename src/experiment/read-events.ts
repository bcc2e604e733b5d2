import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { FlagrouteError } from '../errors.js';
import { FINGERPRINT, fingerprint } from './decision-ids.js';
import { EventAccumulator } from './event-accumulator.js';
import { directoryGiven, lineTooLong, unreadableFile } from './event-file-errors.js';
import { MAX_LINE_BYTES } from './line-splitter.js';
import {
  MALFORMED_KEPT,
  type MalformedLine,
  type PartLines,
  type Range,
  readPart,
} from './read-event-part.js';
import { checkFileRepeats, READER_WORKER, readChunks } from './read-in-parts.js';
import { joinRepeats, RepeatedIds } from './repeated-ids.js';

export type { PartResult } from './read-in-parts.js';

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
  /**
   * Bytes of such a file a reader claims at a time (about; chunks start at lines). Default
   * {@link CHUNK_BYTES}.
   */
  chunkBytes?: number;
  /** A longer line stops reading with a `file:line` error. Default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

/**
 * Streams JSON-lines event files (`.gz` decompressed on the fly) into one accumulator, in one
 * pass: memory grows with the number of users (and of decision ids), not with a line's length:
 * a line longer than `maxLineBytes` stops reading with a `file:line` error, before more of it is
 * read or inflated. A line that is not valid JSON or not an outcome event is skipped and
 * counted, with its file:line; an outcome repeating an earlier decision id is counted and
 * reported. Blank lines are ignored. A large uncompressed file is cut at line boundaries into
 * chunks that this thread and worker threads claim in turn, each user tallied by one of them (see
 * `UserExchange`), whose tallies are then joined (the result is the same, to the order of
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
  const ids = new RepeatedIds(threads);
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
      existsSync(fileURLToPath(READER_WORKER));
    const chunkBytes = settings.chunkBytes ?? CHUNK_BYTES;
    const ranges = parallel
      ? await partsOf(file, size, Math.max(threads, Math.ceil(size / chunkBytes)))
      : [{}];
    if (ranges.length === 1) {
      const part = await readPart(file, ranges[0]!, result.accumulator, settings.onProgress, {
        maxLineBytes,
        onDecisionId(id, line) {
          fingerprint(id);
          if (!ids.add(FINGERPRINT.high, FINGERPRINT.low)) duplicate(file, line);
        },
      });
      addParts(result, file, [part], maxLineBytes);
      continue;
    }
    // This thread folds straight into the result; the worker threads' tallies are joined to it.
    // Each reader keeps its chunks' decision ids, split by the reader that checks them, and all
    // check theirs after reading, at the same time.
    // The users of this file are shared out by owner between its readers, so the workers' users
    // join this thread's without a lookup, unless an earlier file left users here already.
    const disjoint = result.accumulator.usersTallied === 0;
    const read = await readChunks(
      file,
      ranges,
      Math.min(threads, ranges.length),
      result.accumulator,
      settings.onProgress,
      maxLineBytes,
      threads,
    );
    const lists = read.chunks.map((chunk) => chunk.ids);
    const repeats = checkFileRepeats(read.threads, lists, ids, MALFORMED_KEPT);
    for (const state of read.states) {
      if (disjoint) result.accumulator.mergeDisjoint(state);
      else result.accumulator.merge(state);
    }
    const parts = read.chunks.map((chunk) => chunk.lines);
    const joined = joinRepeats(await repeats(), MALFORMED_KEPT);
    const firstLines = [0];
    for (const part of parts) firstLines.push(firstLines.at(-1)! + part.lineCount);
    for (const repeat of joined.first) duplicate(file, firstLines[repeat.part]! + repeat.line);
    result.duplicateDecisionIds += joined.count - joined.first.length;
    addParts(result, file, parts, maxLineBytes);
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
 * The size of the chunks a file read by several threads is cut into: small enough that the
 * last chunk read keeps the others waiting little (a tenth of a second or two at most), large
 * enough that starting one (a stream, a probe for its first line) is a small part of reading it.
 */
export const CHUNK_BYTES = 8 * 1024 * 1024;

/** Byte ranges of about equal size, each starting at a line's start. */
async function partsOf(file: string, size: number, count: number): Promise<Range[]> {
  const handle = await open(file, 'r');
  try {
    const starts = [0];
    const probe = Buffer.alloc(64 * 1024);
    for (let index = 1; index < count; index += 1) {
      let at = Math.floor((size * index) / count);
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
 * Adds the lines of a file's parts (in its order) to `result`: counts, the first malformed
 * lines with their line in the file; a line past the limit is the file's error.
 */
function addParts(
  result: ReadEvents,
  file: string,
  parts: readonly PartLines[],
  maxLineBytes: number,
): void {
  let before = 0;
  for (const part of parts) {
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
