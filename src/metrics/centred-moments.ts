import { METRIC_TABLE, OUTCOME_METRICS, type OutcomeMetric } from './metric-table.js';
import type { Moments } from './moments.js';

/** Per metric: count, the first value (the reference), the mean of x - reference, the centred sum. */
const WIDTH = 4;

/**
 * Every metric's count, mean and centred sum of squares sum((x - mean)^2), kept by Welford's
 * update and merged by Chan's formula, both on x less the first value the accumulator saw: the
 * form that keeps a small spread exact beside a large mean (values of 3000 s give or take a
 * microsecond, where sum(x^2) - sum(x)^2 / n is all rounding). x - first is exact for values
 * near each other, so the spread is kept to the values' own last place. For what one process
 * computes from values it sees (the experiment report's events, over any number of threads);
 * sums that must add across processes or be subtracted in time are {@link MetricMoments}'
 * fixed-reference power sums.
 */
export class CentredMoments {
  private readonly state = new Float64Array(METRIC_TABLE.length * WIDTH);

  /** Adds one value of the metric at `index` in the table (Welford, on x - first). */
  addAt(index: number, value: number): void {
    const at = index * WIDTH;
    const n = this.state[at]! + 1;
    if (n === 1) this.state[at + 1] = value;
    const x = value - this.state[at + 1]!;
    const delta = x - this.state[at + 2]!;
    const mean = this.state[at + 2]! + delta / n;
    this.state[at] = n;
    this.state[at + 2] = mean;
    this.state[at + 3]! += delta * (x - mean);
  }

  /** Adds another accumulator's values, given as its {@link exportState} (Chan). */
  merge(other: Float64Array): void {
    for (let at = 0; at < this.state.length; at += WIDTH) {
      const nb = other[at]!;
      if (nb === 0) continue;
      const na = this.state[at]!;
      if (na === 0) {
        this.state.set(other.subarray(at, at + WIDTH), at);
        continue;
      }
      const n = na + nb;
      // The other's mean around this reference: the references' gap, then its own mean.
      const delta = other[at + 1]! - this.state[at + 1]! + other[at + 2]! - this.state[at + 2]!;
      this.state[at + 2]! += (delta * nb) / n;
      this.state[at + 3]! += other[at + 3]! + ((delta * delta * na) / n) * nb;
      this.state[at] = n;
    }
  }

  /** The state as one typed array, for a worker thread to send back. */
  exportState(): Float64Array {
    return this.state.slice();
  }

  /** The mean of the metric at `index` (0 without values). */
  meanAt(index: number): number {
    const at = index * WIDTH;
    return this.state[at + 1]! + this.state[at + 2]!;
  }

  /**
   * One metric's moments as power sums around the first value seen (`shift`): sum(x - first)
   * and sum((x - first)^2), from the centred sum, so they hold the spread rather than the
   * mean's square, and add to other moments (once moved to one shift) like any others.
   */
  of(metric: OutcomeMetric): Moments {
    const at = OUTCOME_METRICS.indexOf(metric) * WIDTH;
    const n = this.state[at]!;
    if (n === 0) return { n: 0, sum: 0, sum_of_squares: 0 };
    const mean = this.state[at + 2]!;
    const moments: Moments = {
      n,
      sum: n * mean,
      sum_of_squares: this.state[at + 3]! + n * mean * mean,
    };
    if (this.state[at + 1] !== 0) moments.shift = this.state[at + 1]!;
    return moments;
  }

  /** Every metric's moments. */
  snapshot(): Record<OutcomeMetric, Moments> {
    return Object.fromEntries(OUTCOME_METRICS.map((metric) => [metric, this.of(metric)])) as Record<
      OutcomeMetric,
      Moments
    >;
  }
}
