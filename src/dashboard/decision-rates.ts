import type { Clock } from '../clock.js';

/** Shorter than this since the last reading, the rates stay as they were (the page asks often). */
const MIN_INTERVAL_S = 0.2;

/**
 * Decisions per second of real time from counts since start: the difference since the previous
 * reading. On the demo's accelerated clock a second of plan time is `speed` times shorter, so
 * the rates are per real second whichever clock the server runs on. The first reading has none.
 */
export class DecisionRates {
  private previous: { at: number; counts: Readonly<Record<string, number>> } | null = null;
  private rates: Record<string, number> = {};

  constructor(private readonly clock: Clock) {}

  /** The rates since the previous reading, per key of `counts`; null before there are any. */
  read(counts: Readonly<Record<string, number>>): Readonly<Record<string, number>> | null {
    const at = this.clock.now();
    const previous = this.previous;
    if (previous) {
      const seconds = (at - previous.at) / 1000 / (this.clock.speed ?? 1);
      if (seconds < MIN_INTERVAL_S) return this.rates;
      const rates: Record<string, number> = {};
      for (const [key, count] of Object.entries(counts)) {
        rates[key] = (count - (previous.counts[key] ?? 0)) / seconds;
      }
      this.rates = rates;
    }
    this.previous = { at, counts };
    return previous ? this.rates : null;
  }
}
