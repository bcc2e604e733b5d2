import type { MetricDirection } from '../metrics/index.js';
import {
  confidenceSequenceHalfWidth,
  normalQuantile,
  probabilityAboveZero,
  relativeDifference,
  type SampleSummary,
  welchTest,
} from '../statistics/index.js';

/** Which direction of a metric is good. */
export type Better = MetricDirection;

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
  /** The always-valid interval of the relative lift (null with `relative`). */
  sequential_relative_ci: [number, number] | null;
}

/**
 * The interval of a difference known exactly: one point. Without variation (every unit the same
 * in each arm, or every user's paired difference the same) no test is defined, and none is
 * needed: the difference is judged as it is. The winner rule's guardrails (on the relative lift)
 * and a rollout plan's regression readings judge it as this interval, so that LightRAG failing
 * every call while Perplexity never fails does not pass for want of a test.
 */
export function exactInterval(difference: number): [number, number] {
  return [difference, difference];
}

/**
 * Welch's two-sample comparison of treatment `t` against baseline `b` from per-unit means and
 * variances, with gbstats' delta-method relative lift, Cohen's d, the minimum detectable
 * effect at 80 % power, the flat-prior chance to win and the always-valid (sequential) intervals.
 * Null when no test is defined (no variation in either arm, or numbers beyond a double).
 */
export function compareArms(
  t: SampleSummary,
  b: SampleSummary,
  better: Better,
  settings: ComparisonSettings,
): Comparison | null {
  const { alpha, sequentialTuning } = settings;
  const test = welchTest(t, b, alpha);
  if (!test) return null;
  const { estimate, se, quantile } = test;
  const pooled = Math.sqrt(((t.n - 1) * t.variance + (b.n - 1) * b.variance) / (t.n + b.n - 2));
  const half = confidenceSequenceHalfWidth(se, t.n + b.n, alpha, sequentialTuning);
  const lift = relativeDifference(t, b);
  const relativeHalf = lift && lift.se * (half / se);
  const cohens = estimate / pooled;
  return {
    estimate,
    se,
    ci: test.ci,
    p_value: test.pValue,
    df: test.df,
    relative: lift ? lift.relative : null,
    relative_ci: lift
      ? [lift.relative - quantile * lift.se, lift.relative + quantile * lift.se]
      : null,
    cohens_d: pooled > 0 && Number.isFinite(cohens) ? cohens : null,
    mde: (normalQuantile(1 - alpha / 2) + normalQuantile(0.8)) * se,
    chance_to_win: probabilityAboveZero(better === 'higher' ? estimate : -estimate, se),
    sequential_ci: [estimate - half, estimate + half],
    sequential_relative_ci:
      lift && relativeHalf !== null && Number.isFinite(relativeHalf)
        ? [lift.relative - relativeHalf, lift.relative + relativeHalf]
        : null,
  };
}

export { holmAdjust } from '../statistics/index.js';
