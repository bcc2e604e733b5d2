import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { FlagrouteError } from '../errors.js';
import type { AccumulatorState } from './accumulator-state.js';
import { type ChunkRead, readClaimedChunks } from './claimed-chunks.js';
import { DecisionIdSet, type DecisionIdSetState } from './decision-ids.js';
import type { EventAccumulator } from './event-accumulator.js';
import type { Range } from './read-event-part.js';
import { checkRepeats, type PartRepeats, type RepeatedIds } from './repeated-ids.js';
import { UserExchange } from './user-exchange.js';

/** What a worker thread sends back: the chunks it read and what it folded, as plain data. */
export interface PartResult {
  chunks: ChunkRead[];
  state: AccumulatorState;
}

/** What a worker thread is given to check after reading: every part's ids of its partitions. */
export interface CheckRequest {
  /** By part, in the file's order: the (high, low, line) triples this reader checks. */
  lists: Uint32Array[];
  /** By partition: this reader's sets, the others' undefined. */
  sets: (DecisionIdSetState | undefined)[];
  kept: number;
}

/** A worker's answer to a {@link CheckRequest}: its repeats, and its sets given back. */
export interface CheckResult {
  repeats: PartRepeats;
  sets: (DecisionIdSetState | undefined)[];
}

/** The worker threads' script. */
export const READER_WORKER = new URL('./event-reader-worker.js', import.meta.url);

/** A worker thread reading one part of a file, then checking some of its decision ids. */
class ReaderThread {
  private readonly worker: Worker;
  /** Resolves with the part the thread read. */
  readonly part: Promise<PartResult>;
  private checked: ((result: CheckResult) => void) | undefined;
  private failed: ((error: Error) => void)[] = [];

  constructor(
    file: string,
    workerData: Record<string, unknown>,
    transferList: MessagePort[],
    onProgress: ((bytes: number) => void) | undefined,
  ) {
    this.worker = new Worker(READER_WORKER, { workerData, transferList });
    this.part = new Promise<PartResult>((resolve, reject) => {
      this.failed.push(reject);
      this.worker.on(
        'message',
        (message: { progress?: number; part?: PartResult; checked?: CheckResult }) => {
          if (message.progress !== undefined) onProgress?.(message.progress);
          if (message.part) resolve(message.part);
          if (message.checked) this.checked?.(message.checked);
        },
      );
    });
    // The thread's errors name the file already; they arrive as plain errors.
    this.worker.once('error', (error) =>
      this.fail(new FlagrouteError('INVALID_DATA', error.message, { cause: error })),
    );
    this.worker.once('exit', (code) => {
      if (code !== 0) this.fail(new Error(`the event reader thread for ${file} exited ${code}`));
    });
  }

  /** Has the thread check `request` (its tables are transferred there and back). */
  check(request: CheckRequest): Promise<CheckResult> {
    return new Promise((resolve, reject) => {
      this.failed.push(reject);
      this.checked = resolve;
      const transfer = [
        ...request.lists.map((list) => list.buffer as ArrayBuffer),
        ...request.sets.flatMap((set) => (set ? [set.table.buffer as ArrayBuffer] : [])),
      ];
      this.worker.postMessage({ check: request }, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private fail(error: Error): void {
    for (const reject of this.failed) reject(error);
  }
}

/** A file read in chunks: every chunk in the file's order, the workers' tallies, the workers. */
export interface FileChunks {
  chunks: ChunkRead[];
  states: AccumulatorState[];
  threads: ReaderThread[];
}

/**
 * Reads the `chunks` of a file with this thread (into `accumulator`) and `readers - 1` worker
 * threads, each claiming the next chunk in turn (see {@link readClaimedChunks}), the users shared
 * out by owner (see {@link UserExchange}); resolves with every chunk's lines and decision ids in
 * the file's order, the workers' tallies, and the workers, which wait to check ids
 * ({@link checkFileRepeats}). A failing reader stops them all.
 */
export async function readChunks(
  file: string,
  chunks: Range[],
  readers: number,
  accumulator: EventAccumulator,
  onProgress: ((bytes: number) => void) | undefined,
  maxLineBytes: number,
  partitions: number,
): Promise<FileChunks> {
  const ports = portsBetween(readers);
  const claims = new Int32Array(new SharedArrayBuffer(4));
  const exchange = new UserExchange(0, ports[0]!, accumulator.ownUsers());
  const threads = Array.from({ length: readers - 1 }, (_, index) => {
    const thread = index + 1;
    const own = ports[thread]!;
    const workerData = {
      file,
      chunks,
      claims,
      maxLineBytes,
      thread,
      ports: own,
      partitions,
      readers,
    };
    return new ReaderThread(
      file,
      workerData,
      own.filter((port) => port !== undefined),
      onProgress,
    );
  });
  accumulator.routeUsers(exchange);
  try {
    const reading = { maxLineBytes, throttle: exchange, partitions, readers };
    const [mine, parts] = await Promise.all([
      readClaimedChunks(file, chunks, claims, accumulator, onProgress, reading).then(
        async (read) => {
          await exchange.finish();
          return read;
        },
      ),
      Promise.all(threads.map((thread) => thread.part)),
    ]);
    const all = [...mine, ...parts.flatMap((part) => part.chunks)].sort(
      (a, b) => a.index - b.index,
    );
    return { chunks: all, states: parts.map((part) => part.state), threads };
  } catch (error) {
    // A reader that failed never says it is done: the others would wait for it for ever.
    await Promise.all(threads.map((thread) => thread.terminate()));
    throw error;
  } finally {
    exchange.close();
    accumulator.routeUsers(undefined);
  }
}

/**
 * Hands each worker thread of a file its partitions' decision ids of every part (`lists[part]`
 * holds a part's by checking reader) with their sets, and returns a function that checks this
 * thread's meanwhile and then waits for the workers' repeats: the readers check at the same time.
 */
export function checkFileRepeats(
  threads: readonly ReaderThread[],
  lists: readonly Uint32Array[][],
  ids: RepeatedIds,
  kept: number,
): () => Promise<PartRepeats[]> {
  const readers = threads.length + 1;
  const pending = threads.map((thread, index) => {
    const reader = index + 1;
    const sets = ids.sets.map((set, partition) =>
      partition % readers === reader ? set!.exportState() : undefined,
    );
    for (const partition of sets.keys()) if (sets[partition]) ids.sets[partition] = undefined;
    return thread
      .check({ lists: lists.map((part) => part[reader]!), sets, kept })
      .then((result) => {
        for (const [partition, set] of result.sets.entries()) {
          if (set) ids.sets[partition] = new DecisionIdSet(set);
        }
        return result.repeats;
      });
  });
  return async () => {
    try {
      const mine = checkRepeats(
        lists.map((part) => part[0]!),
        ids.sets,
        kept,
      );
      return [mine, ...(await Promise.all(pending))];
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.terminate()));
      throw error;
    }
  };
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
