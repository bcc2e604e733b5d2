import { InvalidArgumentError } from '../errors.js';
import {
  METRIC_REFERENCES,
  METRIC_TABLE,
  metricValues,
  OUTCOME_METRICS,
  type Outcome,
  type OutcomeMetric,
} from './metric-table.js';

/**
 * Sufficient statistics of one metric: the count and the first two power sums. They add exactly
 * across instances and time, so a fleet's mean and variance follow from the sums of its
 * instances (which is what Prometheus can add). With a `shift` c the sums are of x - c: still
 * additive between accumulators of the same shift, and free of the cancellation that raw sums
 * of squares suffer when the mean is large against the spread.
 */
export interface Moments {
  n: number;
  sum: number;
  sum_of_squares: number;
  /** The reference the sums are taken around; absent: 0 (raw power sums). */
  shift?: number;
}

/** The mean of a metric from its moments; null without values. */
export function meanOf(moments: Moments): number | null {
  return moments.n === 0 ? null : (moments.shift ?? 0) + moments.sum / moments.n;
}

/** The sample variance (n - 1) from moments; null with fewer than two values. */
export function varianceOf(moments: Moments): number | null {
  const { n, sum, sum_of_squares: squares } = moments;
  if (n < 2) return null;
  return Math.max(0, (squares - (sum * sum) / n) / (n - 1));
}

/**
 * The same moments around another shift: with d = shift - old shift, sum(x - shift) is
 * sum - d n and sum((x - shift)^2) is sum_of_squares - 2 d sum + d^2 n. Exact in theory, and
 * free of cancellation when both shifts lie near the values.
 */
export function rebased(moments: Moments, shift: number): Moments {
  const delta = shift - (moments.shift ?? 0);
  if (delta === 0) return moments;
  const { n, sum, sum_of_squares: squares } = moments;
  const result: Moments = {
    n,
    sum: sum - delta * n,
    sum_of_squares: Math.max(0, squares - 2 * delta * sum + delta * delta * n),
  };
  if (shift !== 0) result.shift = shift;
  return result;
}

/**
 * The values `later` holds beyond `earlier` (a cumulative reading less an earlier one of the
 * same series), around `later`'s shift, so that two readings taken around different shifts
 * (an accumulator centred on its own mean) still subtract.
 */
export function subtractMoments(later: Moments, earlier: Moments): Moments {
  const before = rebased(earlier, later.shift ?? 0);
  const result: Moments = {
    n: later.n - before.n,
    sum: later.sum - before.sum,
    sum_of_squares: Math.max(0, later.sum_of_squares - before.sum_of_squares),
  };
  if (later.shift !== undefined && later.shift !== 0) result.shift = later.shift;
  return result;
}

const WIDTH = 3;

/**
 * The moments of every metric of the table for one series of outcomes: three numbers per
 * metric in one typed array, whatever the number of outcomes. Accumulators merge (another
 * series, another thread's part of a file, another instance's sums), so one kind of
 * accumulator serves the router's figures, Prometheus and the experiment report.
 */
export class MetricMoments {
  private readonly sums = new Float64Array(METRIC_TABLE.length * WIDTH);
  private readonly shifts: Float64Array;

  /**
   * Power sums around a fixed reference per metric: by default the table's
   * ({@link METRIC_REFERENCES}), which every instance shares, so their sums add; a metric left
   * out of `shifts` is summed raw (around 0).
   */
  constructor(shifts: Readonly<Partial<Record<OutcomeMetric, number>>> = METRIC_REFERENCES) {
    this.shifts = Float64Array.from(OUTCOME_METRICS, (metric) => shifts[metric] ?? 0);
  }

  /** Adds one outcome: each metric it carries. */
  add(outcome: Outcome): void {
    this.addValues(metricValues(outcome, this.scratch));
  }

  private readonly scratch = new Float64Array(METRIC_TABLE.length);

  /** Adds one outcome's values as {@link metricValues} reads them (NaN: the metric is absent). */
  addValues(values: Float64Array): void {
    for (let index = 0; index < values.length; index += 1) {
      const value = values[index]!;
      if (!Number.isNaN(value)) this.addAt(index, value);
    }
  }

  /** Adds one value of the metric at `index` in the table. */
  addAt(index: number, value: number): void {
    const x = value - this.shifts[index]!;
    const at = index * WIDTH;
    this.sums[at]! += 1;
    this.sums[at + 1]! += x;
    this.sums[at + 2]! += x * x;
  }

  /** Adds everything another accumulator holds; both must use the same shifts. */
  merge(other: MetricMoments): void {
    for (let index = 0; index < this.shifts.length; index += 1) {
      if (this.shifts[index] !== other.shifts[index]) {
        throw new InvalidArgumentError(
          'moments',
          `of ${OUTCOME_METRICS[index]} are around different shifts and cannot be merged`,
        );
      }
    }
    this.addSums(other.sums);
  }

  /** Adds sums exported by {@link exportSums} (from a worker thread, with the same shifts). */
  addSums(sums: Float64Array): void {
    for (let at = 0; at < this.sums.length; at += 1) this.sums[at]! += sums[at]!;
  }

  /** The sums as one typed array, for a worker thread to send back. */
  exportSums(): Float64Array {
    return this.sums.slice();
  }

  /** Forgets every value. */
  reset(): void {
    this.sums.fill(0);
  }

  /** One metric's moments. */
  of(metric: OutcomeMetric): Moments {
    const index = OUTCOME_METRICS.indexOf(metric);
    const at = index * WIDTH;
    const moments: Moments = {
      n: this.sums[at]!,
      sum: this.sums[at + 1]!,
      sum_of_squares: this.sums[at + 2]!,
    };
    if (this.shifts[index] !== 0) moments.shift = this.shifts[index]!;
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
