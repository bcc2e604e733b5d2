import { type Moments, rebased } from '../metrics/index.js';
import { type SampleSummary, summarizePowerSums, summarizeRatio } from '../statistics/index.js';

/**
 * Sufficient statistics of one metric in one arm, at either unit of analysis. At the request
 * unit every observation is its own unit (`n`, `sum`, `sum_of_squares` of the values). At the
 * user unit, for each user i with at least one observation, m_i is the sum of the user's
 * values and d_i their count; `n` counts those users, `sum`/`sum_of_squares` are over m_i, and
 * the `denominator_*` and `cross_sum` fields are sum(d_i), sum(d_i^2) and sum(m_i d_i).
 * Every field adds across instances and time (over disjoint users at the user unit).
 */
export interface ArmMoments extends Moments {
  denominator_sum?: number;
  denominator_sum_of_squares?: number;
  cross_sum?: number;
}

/**
 * The mean per outcome (the sums may be taken around a shift, at either unit: per user it is
 * the ratio of the users' sums to their counts); null without values or beyond a double.
 */
export function armMean(moments: ArmMoments | undefined): number | null {
  const outcomes = moments?.denominator_sum ?? moments?.n ?? 0;
  if (!moments || moments.n === 0 || outcomes === 0) return null;
  const mean = (moments.shift ?? 0) + moments.sum / outcomes;
  return Number.isFinite(mean) ? mean : null;
}

/** An arm's mean, per-unit variance and unit count for one metric. */
export type ArmSummary = SampleSummary;

/**
 * The same moments around another shift. At the user unit, m_i becomes m_i - delta d_i (delta
 * the change of shift), so sum, sum_of_squares and cross_sum move with the denominator sums;
 * at the request unit d_i = 1 and this is {@link rebased} of the metrics' moments.
 */
export function rebasedArm(moments: ArmMoments, shift: number): ArmMoments {
  const delta = shift - (moments.shift ?? 0);
  if (delta === 0) return moments;
  if (moments.denominator_sum === undefined) return rebased(moments, shift);
  const { sum: d, squares: dSquares, cross } = denominator(moments);
  const { shift: _old, ...rest } = moments;
  const result: ArmMoments = {
    ...rest,
    sum: moments.sum - delta * d,
    sum_of_squares: Math.max(
      0,
      moments.sum_of_squares - 2 * delta * cross + delta * delta * dSquares,
    ),
    cross_sum: cross - delta * dSquares,
  };
  if (shift !== 0) result.shift = shift;
  return result;
}

/**
 * Adds two sets of moments (for merging instances, files or time slices), around `a`'s shift:
 * `b` is moved to it first when its own differs.
 */
export function addMoments(a: ArmMoments, other: ArmMoments): ArmMoments {
  const b = rebasedArm(other, a.shift ?? 0);
  const sum: ArmMoments = {
    n: a.n + b.n,
    sum: a.sum + b.sum,
    sum_of_squares: a.sum_of_squares + b.sum_of_squares,
  };
  if (a.shift !== undefined && a.shift !== 0) sum.shift = a.shift;
  if (a.denominator_sum !== undefined || b.denominator_sum !== undefined) {
    sum.denominator_sum = denominator(a).sum + denominator(b).sum;
    sum.denominator_sum_of_squares = denominator(a).squares + denominator(b).squares;
    sum.cross_sum = denominator(a).cross + denominator(b).cross;
  }
  return sum;
}

/** The denominator sums of moments; request-level moments have d_i = 1 throughout. */
function denominator(moments: ArmMoments): { sum: number; squares: number; cross: number } {
  return {
    sum: moments.denominator_sum ?? moments.n,
    squares: moments.denominator_sum_of_squares ?? moments.n,
    cross: moments.cross_sum ?? moments.sum,
  };
}

/**
 * The arm's mean and per-unit variance; null with fewer than two units (no variance exists).
 * At the user unit the mean is sum(m)/sum(d) and the variance is gbstats' `variance_of_ratios`
 * (delta method), which is what keeps a user's repeat queries from counting as independent
 * evidence. Both come from the statistics kernel, which guards against cancellation.
 */
export function summarize(moments: ArmMoments): ArmSummary | null {
  if (moments.denominator_sum === undefined) {
    return summarizePowerSums(moments.n, moments.sum, moments.sum_of_squares, moments.shift ?? 0);
  }
  const {
    sum: denominatorSum,
    squares: denominatorSquares,
    cross: crossSum,
  } = denominator(moments);
  return summarizeRatio(
    {
      n: moments.n,
      sum: moments.sum,
      squares: moments.sum_of_squares,
      denominatorSum,
      denominatorSquares,
      crossSum,
    },
    moments.shift ?? 0,
  );
}
