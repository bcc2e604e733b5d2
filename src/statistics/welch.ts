import { normalCdf, studentTwoSidedP, studentUpperQuantile } from './distributions.js';
import type { SampleSummary } from './sample-summary.js';

/** Welch's two-sample t-test of `a` against `b`: the difference of means a - b. */
export interface WelchTest {
  estimate: number;
  se: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value, at least `P_VALUE_FLOOR`. */
  pValue: number;
  /** The (1 - alpha) interval of the difference. */
  ci: [number, number];
  /** t_{1 - alpha/2, df}, for other intervals on the same footing. */
  quantile: number;
}

/**
 * Welch's test from two samples' summaries at level `alpha`. Null when the standard error is 0
 * or not finite: no test is defined (no variation in either arm, or sums beyond a double).
 */
export function welchTest(a: SampleSummary, b: SampleSummary, alpha: number): WelchTest | null {
  const shareA = a.variance / a.n;
  const shareB = b.variance / b.n;
  const se = Math.sqrt(shareA + shareB);
  const estimate = a.mean - b.mean;
  if (!(se > 0) || !Number.isFinite(se) || !Number.isFinite(estimate)) return null;
  const df = (shareA + shareB) ** 2 / (shareA ** 2 / (a.n - 1) + shareB ** 2 / (b.n - 1));
  if (!(df > 0) || !Number.isFinite(df)) return null;
  const quantile = studentUpperQuantile(alpha / 2, df);
  return {
    estimate,
    se,
    df,
    pValue: studentTwoSidedP(estimate / se, df),
    ci: [estimate - quantile * se, estimate + quantile * se],
    quantile,
  };
}

/**
 * (mean_a - mean_b) / mean_b with gbstats' delta-method standard error
 * sqrt(var_a/n_a / mean_b^2 + var_b/n_b mean_a^2 / mean_b^4). Null when mean_b is 0.
 */
export function relativeDifference(
  a: SampleSummary,
  b: SampleSummary,
): { relative: number; se: number } | null {
  if (b.mean === 0) return null;
  const relative = (a.mean - b.mean) / b.mean;
  const variance =
    a.variance / a.n / b.mean ** 2 + ((b.variance / b.n) * a.mean ** 2) / b.mean ** 4;
  const se = Math.sqrt(variance);
  if (!Number.isFinite(relative) || !Number.isFinite(se)) return null;
  return { relative, se };
}

/** P(difference > 0) under a flat prior: Phi(estimate / se). */
export function probabilityAboveZero(estimate: number, se: number): number {
  return normalCdf(estimate / se);
}
