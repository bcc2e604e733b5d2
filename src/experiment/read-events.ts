import { createReadStream, existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import { parseOutcome } from '../outcomes/index.js';
import { type AccumulatorState, EventAccumulator } from './event-accumulator.js';

/** A line that is not an outcome event. */
export interface MalformedLine {
  file: string;
  line: number;
  problem: string;
}

/** The events of some files, folded, with what could not be read. */
export interface ReadEvents {
  accumulator: EventAccumulator;
  lines: number;
  malformed: number;
  /** The first malformed lines (at most {@link MALFORMED_KEPT}), in reading order. */
  examples: MalformedLine[];
}

/** How many malformed lines are kept as examples; the rest are only counted. */
export const MALFORMED_KEPT = 20;

/** Options of {@link readEventFiles}. */
export interface ReadEventOptions {
  /** Called with the bytes read so far, as they are read. */
  onProgress?: (bytes: number) => void;
  /** Worker threads for a large uncompressed file. Default: the machine's cores, at most 8. */
  threads?: number;
  /** Files from this size up are read by several threads. Default 64 MiB. */
  parallelMinBytes?: number;
}

/** The lines of one part of a file: how many, and which could not be read. */
export interface PartLines {
  /** Lines in the part (blank ones too), for numbering the next part's lines. */
  lineCount: number;
  lines: number;
  malformed: number;
  /** Line numbers counted from the part's first line (1). */
  examples: MalformedLine[];
}

/** What a worker thread sends back: its part's lines and what it folded, as plain data. */
export type PartResult = PartLines & { state: AccumulatorState };

const WORKER = new URL('./event-reader-worker.js', import.meta.url);

/**
 * Streams JSON-lines event files (`.gz` decompressed on the fly) into one accumulator, in one
 * pass: memory grows with the number of users, not events. A line that is not valid JSON or not
 * an outcome event is skipped and counted, with its file:line. Blank lines are ignored. A large
 * uncompressed file is split at line boundaries and read by several worker threads, whose
 * tallies are merged (the result is the same, to the order of floating-point additions).
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
  };
  const threads = settings.threads ?? Math.min(8, availableParallelism());
  for (const file of files) {
    const size = (await stat(file)).size;
    const parallel =
      threads > 1 &&
      !file.endsWith('.gz') &&
      size >= (settings.parallelMinBytes ?? 64 * 1024 * 1024) &&
      existsSync(fileURLToPath(WORKER));
    // One thread folds straight into the result; worker threads' tallies are merged into it.
    const parts: (PartLines & { state?: AccumulatorState })[] = parallel
      ? await readInWorkers(file, await partsOf(file, size, threads), settings.onProgress)
      : [await readPart(file, {}, result.accumulator, settings.onProgress)];
    let before = 0;
    for (const part of parts) {
      if (part.state) result.accumulator.merge(part.state);
      result.lines += part.lines;
      result.malformed += part.malformed;
      for (const example of part.examples) {
        if (result.examples.length < MALFORMED_KEPT) {
          result.examples.push({ ...example, line: example.line + before });
        }
      }
      before += part.lineCount;
    }
  }
  return result;
}

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

/** A byte range of a file, both ends included. */
export interface Range {
  start?: number;
  end?: number;
}

function readInWorkers(
  file: string,
  ranges: Range[],
  onProgress: ((bytes: number) => void) | undefined,
): Promise<PartResult[]> {
  return Promise.all(
    ranges.map(
      (range) =>
        new Promise<PartResult>((resolve, reject) => {
          const worker = new Worker(WORKER, { workerData: { file, range } });
          worker.on('message', (message: { progress?: number; part?: PartResult }) => {
            if (message.progress !== undefined) onProgress?.(message.progress);
            if (message.part) resolve(message.part);
          });
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`the event reader thread for ${file} exited ${code}`));
          });
        }),
    ),
  );
}

/**
 * One file or one byte range of it, folded into `accumulator`; split into lines by hand rather
 * than by `readline`, whose per-line async iteration was a fifth of the time on a million events.
 */
export async function readPart(
  file: string,
  range: Range,
  accumulator: EventAccumulator,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<PartLines> {
  const part = { lineCount: 0, lines: 0, malformed: 0, examples: [] as MalformedLine[] };
  const raw = createReadStream(file, range);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const take = (line: string) => {
    part.lineCount += 1;
    if (line.trim() === '') return;
    part.lines += 1;
    const problem = addLine(accumulator, line.endsWith('\r') ? line.slice(0, -1) : line);
    if (problem === undefined) return;
    part.malformed += 1;
    if (part.examples.length < MALFORMED_KEPT) {
      part.examples.push({ file, line: part.lineCount, problem });
    }
  };
  await new Promise<void>((resolve, reject) => {
    raw.on('error', reject);
    input.on('error', reject);
    if (onProgress) raw.on('data', (chunk) => onProgress(chunk.length));
    input.on('data', (chunk: Buffer) => {
      const text = rest + decoder.write(chunk);
      let from = 0;
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', from)) {
        take(text.slice(from, at));
        from = at + 1;
      }
      rest = text.slice(from);
    });
    input.on('end', () => {
      const last = rest + decoder.end();
      if (last !== '') take(last);
      resolve();
    });
  });
  return part;
}

function addLine(accumulator: EventAccumulator, line: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const checked = parseOutcome(value, 'event');
  if (!checked.ok) return checked.problem.text;
  accumulator.add(checked.outcome);
  return undefined;
}
