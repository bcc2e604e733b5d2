import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * How long a reload runs before it lets the event loop serve decisions again. The longest block
 * a reload causes is a slice plus a young-generation collection that may fall inside it (a few
 * megabytes of the reload's new objects to copy, at 1.5 to 3 ms a megabyte here), so
 * the slice is kept well under the 20 ms budget; a yield costs a few microseconds.
 */
export const SLICE_MS = 3;

/**
 * Cooperative time slicing for long work on the event loop (a reload of thousands of rules):
 * between two pieces of the work, `if (slice.due()) await slice.next()` gives the loop back
 * once the current slice has run {@link SLICE_MS}, so that decisions and requests waiting
 * behind the work are served within milliseconds. `due` is a clock read.
 */
export class TimeSlice {
  private started = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** Whether the current slice has run its time. */
  due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Resolves on a later turn of the event loop, which starts a new slice. */
  async next(): Promise<void> {
    await nextTurn();
    this.started = performance.now();
  }
}
