import {
  normalCdf,
  normalQuantile,
  studentTwoSidedP,
  studentUpperQuantile,
} from '../statistics/distributions.js';
import type { ArmSummary } from './arm-moments.js';

/** Which direction of a metric is good. */
export type Better = 'higher' | 'lower';

/** Settings of a comparison. */
export interface ComparisonSettings {
  /** Two-sided significance level. */
  alpha: number;
  /** N* of the sequential confidence sequence: the sample size it is tightest at. */
  sequentialTuning: number;
}

/** The treatment-against-baseline statistics of one metric (JSON names, as reported). */
export interface Comparison {
  estimate: number;
  se: number;
  ci: [number, number];
  p_value: number;
  df: number;
  relative: number | null;
  relative_ci: [number, number] | null;
  cohens_d: number | null;
  mde: number;
  chance_to_win: number;
  sequential_ci: [number, number];
}

/**
 * Welch's two-sample comparison of treatment `t` against baseline `b` from per-unit means and
 * variances, with gbstats' delta-method relative lift, Cohen's d, the minimum detectable
 * effect at 80 % power, the flat-prior chance to win and the always-valid (sequential) interval.
 * Null when the standard error is 0 (no variation in either arm): no test is defined.
 */
export function compareArms(
  t: ArmSummary,
  b: ArmSummary,
  better: Better,
  settings: ComparisonSettings,
): Comparison | null {
  const { alpha } = settings;
  const shareT = t.variance / t.n;
  const shareB = b.variance / b.n;
  const se = Math.sqrt(shareT + shareB);
  if (!(se > 0)) return null;
  const estimate = t.mean - b.mean;
  const df = (shareT + shareB) ** 2 / (shareT ** 2 / (t.n - 1) + shareB ** 2 / (b.n - 1));
  const quantile = studentUpperQuantile(alpha / 2, df);
  const pooled = Math.sqrt(((t.n - 1) * t.variance + (b.n - 1) * b.variance) / (t.n + b.n - 2));
  const higher = normalCdf(estimate / se);
  return {
    estimate,
    se,
    ci: [estimate - quantile * se, estimate + quantile * se],
    p_value: studentTwoSidedP(estimate / se, df),
    df,
    ...relativeLift(t, b, quantile),
    cohens_d: pooled > 0 ? estimate / pooled : null,
    mde: (normalQuantile(1 - alpha / 2) + normalQuantile(0.8)) * se,
    chance_to_win: better === 'higher' ? higher : normalCdf(-estimate / se),
    sequential_ci: sequentialInterval(estimate, se, t.n + b.n, settings),
  };
}

/** (mean_t - mean_b) / mean_b with the delta-method interval; null when mean_b is 0. */
function relativeLift(
  t: ArmSummary,
  b: ArmSummary,
  quantile: number,
): Pick<Comparison, 'relative' | 'relative_ci'> {
  if (b.mean === 0) return { relative: null, relative_ci: null };
  const relative = (t.mean - b.mean) / b.mean;
  const variance =
    t.variance / t.n / b.mean ** 2 + ((b.variance / b.n) * t.mean ** 2) / b.mean ** 4;
  const half = quantile * Math.sqrt(variance);
  return { relative, relative_ci: [relative - half, relative + half] };
}

/**
 * The asymptotic confidence sequence of Waudby-Smith et al., as gbstats computes it: valid at
 * every sample size at once, so a controller may look every minute without inflating false
 * alarms. rho = sqrt((-2 ln alpha + ln(-2 ln alpha + 1)) / N*), s^2 = se^2 * n.
 */
function sequentialInterval(
  estimate: number,
  se: number,
  n: number,
  { alpha, sequentialTuning }: ComparisonSettings,
): [number, number] {
  const logAlpha = -2 * Math.log(alpha);
  const rho2 = (logAlpha + Math.log(logAlpha + 1)) / sequentialTuning;
  const s2 = se * se * n;
  const half =
    Math.sqrt(s2) *
    Math.sqrt(((2 * (n * rho2 + 1)) / (n * n * rho2)) * Math.log(Math.sqrt(n * rho2 + 1) / alpha));
  return [estimate - half, estimate + half];
}

/** Holm-Bonferroni adjusted p-values, in the order given. */
export function holmAdjust(pValues: readonly number[]): number[] {
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  for (const [rank, { p, index }] of order.entries()) {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[index] = running;
  }
  return adjusted;
}
