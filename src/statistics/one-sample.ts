import { studentTwoSidedP, studentUpperQuantile } from './distributions.js';
import type { SampleSummary } from './sample-summary.js';
import { confidenceSequenceHalfWidth } from './sequential.js';

/**
 * Student's one-sample t-test of a sample's mean against 0, with a fixed-horizon interval and
 * an always-valid one. On the differences of paired values it is the paired t-test (scipy's
 * `ttest_rel`).
 */
export interface OneSampleTest {
  /** The sample's mean. */
  estimate: number;
  se: number;
  /** n - 1. */
  df: number;
  /** Two-sided p-value against a mean of 0, at least `P_VALUE_FLOOR`. */
  pValue: number;
  /** The (1 - alpha) interval of the mean, valid when looked at once, at a fixed size. */
  ci: [number, number];
  /** The (1 - alpha) confidence sequence at this size: valid however often it is looked at. */
  sequentialCi: [number, number];
}

/**
 * The one-sample test of `sample` at level `alpha`; `tuning` is the confidence sequence's N*
 * (the size at which it is tightest). Null when the standard error is 0 or not finite (every
 * value the same, or fewer than two).
 */
export function oneSampleTest(
  sample: SampleSummary,
  alpha: number,
  tuning: number,
): OneSampleTest | null {
  const { n, mean, variance } = sample;
  if (!(n >= 2)) return null;
  const se = Math.sqrt(variance / n);
  if (!(se > 0) || !Number.isFinite(se) || !Number.isFinite(mean)) return null;
  const df = n - 1;
  const quantile = studentUpperQuantile(alpha / 2, df);
  const half = confidenceSequenceHalfWidth(se, n, alpha, tuning);
  return {
    estimate: mean,
    se,
    df,
    pValue: studentTwoSidedP(mean / se, df),
    ci: [mean - quantile * se, mean + quantile * se],
    sequentialCi: [mean - half, mean + half],
  };
}
