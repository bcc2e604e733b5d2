import { METRIC_DIRECTIONS, type OutcomeMetric } from '../metrics/index.js';
import { type ArmMoments, armMean, summarize } from './arm-moments.js';
import { type Better, type Comparison, compareArms } from './compare-arms.js';
import type { ExperimentStats } from './experiment-data.js';
import type { ExperimentSettings } from './experiment-settings.js';

/** Why a metric's statistics are missing (null), as a code. */
export const MISSING_REASONS = [
  /** Fewer than two units carry the metric in an arm: no variance exists. */
  'too_few_units',
  /**
   * Every unit has the same value in each arm, to the precision of the sums (a spread below
   * the rounding of raw sums of squares cannot be told from none): no test.
   */
  'no_variation',
  /** The sums are beyond what a double holds, so the test's numbers are not finite. */
  'not_finite',
  /** The baseline's mean is 0: there is no relative lift (the other statistics exist). */
  'zero_baseline',
] as const;
/** A reason from {@link MISSING_REASONS}. */
export type MissingReason = (typeof MISSING_REASONS)[number];

/** One metric's line of the report; statistics that cannot be computed are null, never NaN. */
export interface MetricReport {
  n: [number, number];
  mean: [number | null, number | null];
  estimate: number | null;
  ci: [number, number] | null;
  p_value: number | null;
  p_value_holm: number | null;
  df: number | null;
  relative: number | null;
  relative_ci: [number, number] | null;
  cohens_d: number | null;
  mde: number | null;
  chance_to_win: number | null;
  sequential_ci: [number, number] | null;
  /** The always-valid interval of the relative lift. */
  sequential_relative_ci: [number, number] | null;
  significant: boolean;
  better: Better;
  role: 'primary' | 'guardrail' | 'other';
  /** Why statistics are missing, as a code; null when none is. */
  missing: MissingReason | null;
  /** The missing reason in words. */
  note?: string;
}

const EMPTY_COMPARISON = {
  estimate: null,
  ci: null,
  p_value: null,
  df: null,
  relative: null,
  relative_ci: null,
  cohens_d: null,
  mde: null,
  chance_to_win: null,
  sequential_ci: null,
  sequential_relative_ci: null,
};

/** Whether the sums overflowed a double (their squares, or the sums themselves). */
function beyondDouble(moments: ArmMoments): boolean {
  return Object.values(moments).some(
    (value) => typeof value === 'number' && !Number.isFinite(value),
  );
}

/** Treatment (lightrag) against baseline (perplexity) on one metric. */
export function metricReport(
  stats: ExperimentStats,
  metric: OutcomeMetric,
  settings: ExperimentSettings,
): MetricReport {
  const moments = [stats.arms.lightrag[metric], stats.arms.perplexity[metric]] as const;
  const n: [number, number] = [moments[0]?.n ?? 0, moments[1]?.n ?? 0];
  const role =
    metric === settings.primary
      ? 'primary'
      : settings.guardrails.includes(metric)
        ? 'guardrail'
        : 'other';
  const base = {
    n,
    mean: [armMean(moments[0]), armMean(moments[1])] as [number | null, number | null],
    better: METRIC_DIRECTIONS[metric],
    role,
    p_value_holm: null,
    significant: false,
  } as const;
  const missing = (reason: MissingReason, note: string): MetricReport => ({
    ...base,
    ...EMPTY_COMPARISON,
    missing: reason,
    note,
  });
  if (moments.some((m) => m && beyondDouble(m)))
    return missing('not_finite', 'the sums are beyond the range of a double');
  const [t, b] = moments.map((m) => (m ? summarize(m) : null));
  if (!t || !b) {
    const units = stats.unit === 'user' ? 'users' : 'observations';
    return missing(
      'too_few_units',
      `needs at least 2 ${units} in each arm (has ${n[0]} and ${n[1]})`,
    );
  }
  const comparison: Comparison | null = compareArms(t, b, base.better, settings);
  if (!comparison) {
    return t.variance === 0 && b.variance === 0
      ? missing(
          'no_variation',
          'no variation in either arm that the sums resolve (constant values, or a spread below the rounding of their sums of squares: sums around a shift near the mean resolve it), so no test is defined',
        )
      : missing('not_finite', 'the numbers are beyond the range of a double');
  }
  const { se: _se, ...reported } = comparison;
  if (comparison.relative !== null) return { ...base, ...reported, missing: null };
  return {
    ...base,
    ...reported,
    missing: 'zero_baseline',
    note: "the baseline's mean is 0, so there is no relative lift",
  };
}
