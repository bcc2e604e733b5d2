/** The first pause before a retry and the longest: the pause doubles from one to the other. */
export interface RetryPauses {
  first: number;
  max: number;
}

/** 100 ms, doubling up to 5 s: the pauses of the event log, the event store and the store's watch. */
export const DEFAULT_RETRY_PAUSES: Readonly<RetryPauses> = { first: 100, max: 5_000 };

/**
 * The pause before trying again something that failed (a write to the disk or the database, a
 * lost `LISTEN` session): `first`, doubling at each failure up to `max`, and `first` again after
 * a success. At most one retry waits at a time, and its timer does not keep the process alive
 * (the retried work is a background chore; closing cancels it).
 */
export class RetryPause {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly pauses: Readonly<RetryPauses> = DEFAULT_RETRY_PAUSES) {}

  /** Whether a retry waits for its pause to end. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /**
   * Runs `retry` after the next pause, unless a retry already waits. Returns the pause chosen
   * (ms), or undefined when one already waited.
   */
  schedule(retry: () => void): number | undefined {
    if (this.timer) return undefined;
    const pause = Math.min(this.pauses.max, this.pauses.first * 2 ** this.failures);
    this.failures += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      retry();
    }, pause);
    this.timer.unref();
    return pause;
  }

  /** After a success: the next failure's pause is the first again. */
  succeeded(): void {
    this.failures = 0;
  }

  /** Drops the waiting retry, if any. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
