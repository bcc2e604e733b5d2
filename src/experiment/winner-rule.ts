import type { OutcomeMetric } from '../metrics/index.js';
import { exactInterval } from './compare-arms.js';
import type { Arm } from './experiment-data.js';
import type { ExperimentSettings } from './experiment-settings.js';
import type { MetricReport, MissingReason } from './metric-report.js';

/** Why there is no winner. */
export const NO_WINNER_REASONS = [
  /** The split of units between the arms is not the configured one. */
  'sample_ratio_mismatch',
  /** The data is per request (or has no unit counts) and a request-level winner was not asked for. */
  'request_level_data',
  /** The primary metric cannot be compared (see its `missing`). */
  'insufficient_data',
  /** An arm has fewer units than the minimum (`min_units_per_arm`). */
  'too_few_units',
  /** The primary metric shows no significant difference. */
  'inconclusive',
  /** A guardrail's bad-side bound is beyond its margin for the better arm. */
  'guardrail_regression',
  /** A guardrail cannot be checked (no data, a zero baseline): it blocks rather than passes. */
  'guardrail_missing',
] as const;
/** A reason from {@link NO_WINNER_REASONS}. */
export type NoWinnerReason = (typeof NO_WINNER_REASONS)[number];

/** One guardrail's non-inferiority check for the arm that is better on the primary metric. */
export interface GuardrailCheck {
  metric: OutcomeMetric;
  /** `pass`: shown no worse than the margin; `fail`: not shown; `missing`: cannot be checked. */
  status: 'pass' | 'fail' | 'missing';
  /**
   * How much worse (relative, positive = worse) the arm could be on this metric: the bad-side
   * bound of the interval the decision uses. Null when missing.
   */
  worst_case: number | null;
  margin: number;
  /** Why the check is missing, as the metric's code. */
  missing: MissingReason | null;
}

/** What the winner rule decided, with what it decided from. */
export interface WinnerDecision {
  winner: Arm | null;
  reason: NoWinnerReason | null;
  /** The arm better on the primary metric's estimate (the one the guardrails are checked for). */
  leader: Arm | null;
  guardrail_checks: GuardrailCheck[];
  /** 1 - the primary's p-value (fixed horizon) or 1 - alpha (sequential), with a winner only. */
  confidence_level: number | null;
}

/** What the rule reads besides the metrics. */
export interface WinnerInputs {
  srmMismatch: boolean;
  /** Whether the data is per user with unit counts (so a winner is not overstated). */
  unitLevel: boolean;
  units: Record<Arm, number>;
}

/** How much worse `arm` could be on a metric, relative, from an interval of the relative lift. */
function worstCase(metric: MetricReport, arm: Arm, interval: [number, number]): number {
  const [low, high] = interval;
  // The lift is treatment against baseline; for the baseline the bad side is the other bound.
  const treatmentWorst = metric.better === 'higher' ? -low : high;
  const baselineWorst = metric.better === 'higher' ? high : -low;
  return arm === 'lightrag' ? treatmentWorst : baselineWorst;
}

/**
 * The interval of the relative lift a guardrail is judged on: the always-valid one with
 * `sequential`, else the fixed-horizon one; without variation in either arm, the lift known
 * exactly ({@link exactInterval}). Null when there is none (too few units, a zero baseline).
 */
function judgedLift(metric: MetricReport, settings: ExperimentSettings): [number, number] | null {
  const interval = settings.sequential ? metric.sequential_relative_ci : metric.relative_ci;
  if (interval) return interval;
  const [t, b] = metric.mean;
  if (metric.missing !== 'no_variation' || t === null || b === null || b === 0) return null;
  return exactInterval((t - b) / b);
}

/** A guardrail's non-inferiority check for `arm`. */
export function checkGuardrail(
  name: OutcomeMetric,
  metric: MetricReport,
  arm: Arm,
  settings: ExperimentSettings,
): GuardrailCheck {
  const margin = settings.guardrailTolerance;
  const interval = judgedLift(metric, settings);
  const worst = interval && worstCase(metric, arm, interval);
  if (worst === null) {
    return { metric: name, status: 'missing', worst_case: null, margin, missing: metric.missing };
  }
  return {
    metric: name,
    status: worst <= margin ? 'pass' : 'fail',
    worst_case: worst,
    margin,
    missing: null,
  };
}

/** Whether the primary metric shows a difference: its p-value, or its always-valid interval. */
function primaryShowsDifference(primary: MetricReport, settings: ExperimentSettings): boolean {
  if (!settings.sequential) return primary.significant;
  const interval = primary.sequential_ci;
  return interval !== null && (interval[0] > 0 || interval[1] < 0);
}

/**
 * The winner rule (docs/experiments.md): a winner needs a passing sample-ratio test,
 * unit-level data (unless a request-level winner is asked for), enough units in each arm, a
 * significant primary metric tested on its own, and every guardrail shown non-inferior for the
 * better arm: the bad-side bound of its (1 - alpha) interval of the relative lift, or of the
 * always-valid one with `sequential`, within the margin. A guardrail that cannot be checked
 * blocks.
 */
export function judgeWinner(
  metrics: Record<OutcomeMetric, MetricReport>,
  inputs: WinnerInputs,
  settings: ExperimentSettings,
): WinnerDecision {
  const primary = metrics[settings.primary];
  const estimate = primary.estimate;
  const treatmentAhead =
    estimate === null ? null : primary.better === 'higher' ? estimate > 0 : estimate < 0;
  const leader: Arm | null =
    treatmentAhead === null || estimate === 0 ? null : treatmentAhead ? 'lightrag' : 'perplexity';
  const checks = leader
    ? settings.guardrails.map((metric) => checkGuardrail(metric, metrics[metric], leader, settings))
    : [];
  const none = (reason: NoWinnerReason): WinnerDecision => ({
    winner: null,
    reason,
    leader,
    guardrail_checks: checks,
    confidence_level: null,
  });
  if (inputs.srmMismatch) return none('sample_ratio_mismatch');
  if (!inputs.unitLevel && !settings.allowRequestLevelWinner) return none('request_level_data');
  if (primary.p_value === null || leader === null) return none('insufficient_data');
  if (Math.min(inputs.units.lightrag, inputs.units.perplexity) < settings.minUnitsPerArm)
    return none('too_few_units');
  if (!primaryShowsDifference(primary, settings)) return none('inconclusive');
  if (checks.some((check) => check.status === 'fail')) return none('guardrail_regression');
  if (checks.some((check) => check.status === 'missing')) return none('guardrail_missing');
  return {
    winner: leader,
    reason: null,
    leader,
    guardrail_checks: checks,
    confidence_level: settings.sequential ? 1 - settings.alpha : 1 - primary.p_value,
  };
}
