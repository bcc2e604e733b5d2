import type { MessagePort } from 'node:worker_threads';
import { METRIC_TABLE } from '../metrics/index.js';
import { keyHash } from './key-slots.js';

const METRIC_COUNT = METRIC_TABLE.length;

/**
 * The thread (0 .. `threads` - 1) that tallies user `key` while a file is read by several
 * threads: its {@link keyHash} modulo the threads (FNV's low bits alone would follow only the
 * low bits of the characters, which would give one thread most keys; the hash mixes them).
 */
export function ownerOf(key: string, threads: number): number {
  return keyHash(key) % threads;
}

/** What an accumulator holds of one user, and so what it hands to the user's owner. */
export interface UserShareSink {
  /**
   * An outcome's user share: `values` holds from `at` one number per metric of the table, NaN
   * for none (an offset rather than a subarray: a view per share was a tenth of folding them).
   * `hash` is the key's {@link keyHash}, computed once per event: it picks the user's thread
   * and its place in that thread's table.
   */
  outcome(key: string, hash: number, arm: 0 | 1, values: Float64Array, at: number): void;
  /** An exposure record of user `key` (its {@link keyHash} `hash`) to `arm`. */
  exposure(key: string, hash: number, arm: 0 | 1): void;
}

/** Shares sent to one thread at once, as plain data. */
interface ShareBatch {
  keys: string[];
  /** Per share, its key's {@link keyHash}, so that the owner need not hash the key again. */
  hashes: Uint32Array;
  /** Per share: 0 or 1, an outcome of that arm; 2 or 3, an exposure to arm `kind - 2`. */
  kinds: Int8Array;
  /** {@link METRIC_COUNT} values per share (outcomes only). */
  values: Float64Array;
}

type ExchangeMessage = { shares: ShareBatch } | { acknowledged: true } | { done: true };

/** Shares per message: large enough that posting is a small part of the work. */
const BATCH = 4096;
/**
 * Batches a thread may have unfolded from all the others, beyond which their reading waits:
 * about 27 MB of shares, shared out among the senders (at least 4 each). With 4 a thread, a
 * reader on a loaded machine waited whenever its peer lost its core for a tenth of a second.
 */
const IN_FLIGHT = 64;

/** One thread's pending shares for another. */
class ShareBuffer {
  keys: string[] = [];
  hashes = new Uint32Array(BATCH);
  kinds = new Int8Array(BATCH);
  values = new Float64Array(BATCH * METRIC_COUNT);
  inFlight = 0;

  take(): ShareBatch {
    const length = this.keys.length;
    const batch = {
      keys: this.keys,
      hashes: this.hashes.slice(0, length),
      kinds: this.kinds.slice(0, length),
      values: this.values.slice(0, length * METRIC_COUNT),
    };
    this.keys = [];
    return batch;
  }
}

/**
 * The users of a file read by several threads, each user tallied by one thread only (its
 * {@link ownerOf}): a thread folds what an event says of the request where it reads it, and sends
 * what it says of a user it does not own to that user's thread, in batches over a
 * `MessagePort` per pair of threads. The threads' user tallies are then disjoint and join
 * without a merge: merging a thread's million users into another's map took longer than reading
 * its part. At most {@link IN_FLIGHT} batches go unfolded to a thread; beyond that the senders'
 * reading waits ({@link backlogged}), so memory stays bounded when one thread is slower.
 */
export class UserExchange implements UserShareSink {
  private readonly buffers: (ShareBuffer | undefined)[];
  /** Batches this thread may have unfolded at another: its share of {@link IN_FLIGHT}. */
  private readonly inFlightLimit: number;
  private readonly finished: Promise<void>;
  private whenRelieved: (() => void) | undefined;

  /**
   * @param me This thread's number.
   * @param ports A port to each other thread, by its number (`undefined` at `me`).
   * @param owner Where this thread's users and the shares it receives are tallied.
   */
  constructor(
    private readonly me: number,
    private readonly ports: readonly (MessagePort | undefined)[],
    private readonly owner: UserShareSink,
  ) {
    this.buffers = ports.map((port) => (port ? new ShareBuffer() : undefined));
    this.inFlightLimit = Math.max(4, Math.floor(IN_FLIGHT / Math.max(1, ports.length - 1)));
    let peers = ports.filter(Boolean).length;
    this.finished = new Promise((resolve) => {
      if (peers === 0) resolve();
      for (const [thread, port] of ports.entries()) {
        port?.on('message', (message: ExchangeMessage) => {
          if ('shares' in message) {
            this.fold(message.shares);
            port.postMessage({ acknowledged: true } satisfies ExchangeMessage);
          } else if ('acknowledged' in message) {
            this.buffers[thread]!.inFlight -= 1;
            if (this.whenRelieved && !this.backlogged()) {
              const resume = this.whenRelieved;
              this.whenRelieved = undefined;
              resume();
            }
          } else {
            peers -= 1;
            if (peers === 0) resolve();
          }
        });
      }
    });
  }

  outcome(key: string, hash: number, arm: 0 | 1, values: Float64Array, from: number): void {
    const thread = hash % this.ports.length;
    if (thread === this.me) {
      this.owner.outcome(key, hash, arm, values, from);
      return;
    }
    const buffer = this.buffers[thread]!;
    const at = buffer.keys.length;
    buffer.keys.push(key);
    buffer.hashes[at] = hash;
    buffer.kinds[at] = arm;
    const to = buffer.values;
    for (let index = 0; index < METRIC_COUNT; index += 1) {
      to[at * METRIC_COUNT + index] = values[from + index]!;
    }
    if (at + 1 === BATCH) this.send(thread);
  }

  exposure(key: string, hash: number, arm: 0 | 1): void {
    const thread = hash % this.ports.length;
    if (thread === this.me) {
      this.owner.exposure(key, hash, arm);
      return;
    }
    const buffer = this.buffers[thread]!;
    const at = buffer.keys.length;
    buffer.keys.push(key);
    buffer.hashes[at] = hash;
    buffer.kinds[at] = 2 + arm;
    if (at + 1 === BATCH) this.send(thread);
  }

  /** Whether some thread has as many batches of this one's unfolded as it may have. */
  backlogged(): boolean {
    return this.buffers.some(
      (buffer) => buffer !== undefined && buffer.inFlight >= this.inFlightLimit,
    );
  }

  /** Calls `resume` once no thread is backlogged any more (at once when none is). */
  onRelieved(resume: () => void): void {
    if (this.backlogged()) this.whenRelieved = resume;
    else resume();
  }

  /**
   * Sends what is pending and tells every thread this one has read its part; resolves once every
   * other thread has said the same and all it sent here is folded. The ports are closed then.
   */
  async finish(): Promise<void> {
    for (const [thread, port] of this.ports.entries()) {
      if (!port) continue;
      if (this.buffers[thread]!.keys.length > 0) this.send(thread);
      port.postMessage({ done: true } satisfies ExchangeMessage);
    }
    await this.finished;
  }

  /** Closes the ports (after {@link finish}, or when reading failed). */
  close(): void {
    for (const port of this.ports) port?.close();
  }

  private send(thread: number): void {
    const buffer = this.buffers[thread]!;
    const shares = buffer.take();
    buffer.inFlight += 1;
    this.ports[thread]!.postMessage({ shares } satisfies ExchangeMessage, [
      shares.hashes.buffer as ArrayBuffer,
      shares.kinds.buffer as ArrayBuffer,
      shares.values.buffer as ArrayBuffer,
    ]);
  }

  private fold(batch: ShareBatch): void {
    const { keys, hashes, kinds, values } = batch;
    for (let at = 0; at < keys.length; at += 1) {
      const kind = kinds[at]!;
      if (kind >= 2) this.owner.exposure(keys[at]!, hashes[at]!, (kind - 2) as 0 | 1);
      else this.owner.outcome(keys[at]!, hashes[at]!, kind as 0 | 1, values, at * METRIC_COUNT);
    }
  }
}
