import { METRIC_DIRECTIONS, OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import type { OutcomeEvent } from '../outcomes/index.js';
import { chiSquare } from '../statistics/chi-square.js';
import { summarize } from './arm-moments.js';
import { type Better, type Comparison, compareArms, holmAdjust } from './compare-arms.js';
import { EventAccumulator } from './event-accumulator.js';
import type { AnalysisUnit, Arm, ExperimentStats } from './experiment-data.js';
import {
  type ExperimentOptions,
  type ExperimentSettings,
  settingsOf,
} from './experiment-settings.js';
import { judgeWinner } from './winner-rule.js';

export type { ExperimentOptions } from './experiment-settings.js';

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
  significant: boolean;
  better: Better;
  role: 'primary' | 'guardrail' | 'other';
  /** Why a statistic is missing, when one is. */
  note?: string;
}

/** Why there is no winner. */
export type NoWinnerReason =
  | 'inconclusive'
  | 'guardrail_regression'
  | 'sample_ratio_mismatch'
  | 'insufficient_data';

/** The report: the JSON `flagroute experiment report --json` prints. */
export interface ExperimentReport {
  unit: AnalysisUnit;
  alpha: number;
  arms: { treatment: 'lightrag'; baseline: 'perplexity' };
  units: Record<Arm, number>;
  srm: {
    chi_square: number | null;
    p_value: number | null;
    mismatch: boolean;
    threshold: number;
    basis: 'users' | 'events';
    expected_share: number;
  };
  metrics: Record<OutcomeMetric, MetricReport>;
  primary: OutcomeMetric;
  guardrails: OutcomeMetric[];
  guardrail_tolerance: number;
  winner: Arm | null;
  confidence_level: number | null;
  reason: NoWinnerReason | null;
  verdict: string;
  /** What the reader should know about the data and the method. */
  notes: string[];
  /** Event counts when the report was made from events. */
  events?: {
    analyzed: number;
    outside_experiment: number;
    without_unit: number;
    users_in_both_arms: number;
    malformed?: number;
  };
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
};

function metricReport(
  stats: ExperimentStats,
  metric: OutcomeMetric,
  settings: ExperimentSettings,
): MetricReport {
  const moments = [stats.arms.lightrag[metric], stats.arms.perplexity[metric]];
  const n: [number, number] = [moments[0]?.n ?? 0, moments[1]?.n ?? 0];
  const summaries = moments.map((m) => (m ? summarize(m) : null));
  const better = METRIC_DIRECTIONS[metric];
  const role =
    metric === settings.primary
      ? 'primary'
      : settings.guardrails.includes(metric)
        ? 'guardrail'
        : 'other';
  const meanOf = (index: number) => {
    const m = moments[index];
    if (!m || m.n === 0) return null;
    return (m.shift ?? 0) + m.sum / (m.denominator_sum ?? m.n);
  };
  const base = {
    n,
    mean: [meanOf(0), meanOf(1)] as [number | null, number | null],
    better,
    role,
    p_value_holm: null,
    significant: false,
  } as const;
  const [t, b] = summaries;
  if (!t || !b) {
    return {
      ...base,
      ...EMPTY_COMPARISON,
      note: `needs at least 2 ${stats.unit === 'user' ? 'users' : 'observations'} in each arm (has ${n[0]} and ${n[1]})`,
    };
  }
  const comparison: Comparison | null = compareArms(t, b, better, settings);
  if (!comparison) {
    return {
      ...base,
      ...EMPTY_COMPARISON,
      note: 'no variation in either arm, so no test is defined',
    };
  }
  const { se: _se, ...reported } = comparison;
  const report: MetricReport = { ...base, ...reported };
  if (comparison.relative === null)
    report.note = "the baseline's mean is 0, so there is no relative lift";
  return report;
}

/** Sample-ratio test of distinct units (events when the data has none) against the split. */
function sampleRatio(
  stats: ExperimentStats,
  settings: ExperimentSettings,
): ExperimentReport['srm'] {
  const basis = stats.units ? 'users' : 'events';
  const counts = stats.units
    ? [stats.units.lightrag, stats.units.perplexity]
    : [stats.arms.lightrag.success_rate?.n ?? 0, stats.arms.perplexity.success_rate?.n ?? 0];
  const common = {
    threshold: settings.srmThreshold,
    basis,
    expected_share: settings.treatmentShare,
  } as const;
  if (counts[0]! + counts[1]! === 0)
    return { chi_square: null, p_value: null, mismatch: false, ...common };
  const fit = chiSquare(counts, [settings.treatmentShare, 1 - settings.treatmentShare]);
  return {
    chi_square: fit.statistic,
    p_value: fit.pValue,
    mismatch: fit.pValue < settings.srmThreshold,
    ...common,
  };
}

/**
 * Compares LightRAG (treatment) against Perplexity (baseline) on every outcome metric and
 * names a winner: the arm significantly better on the primary metric (Holm-adjusted across the
 * five metrics) with no guardrail significantly worse beyond the tolerance, and no sample-ratio
 * mismatch. Reads per-arm sufficient statistics or outcome events (one pass; memory grows with
 * users, not events). Every statistic is pinned in docs/experiments.md and checked against scipy.
 */
export function analyzeExperiment(
  input: ExperimentStats | Iterable<OutcomeEvent>,
  options: ExperimentOptions = {},
): ExperimentReport {
  const settings = settingsOf(options);
  if (isStats(input)) return reportOf(input, settings, []);
  const accumulator = new EventAccumulator();
  for (const event of input) accumulator.add(event);
  return eventsReport(accumulator, options, settings);
}

function isStats(input: unknown): input is ExperimentStats {
  return typeof input === 'object' && input !== null && 'arms' in input && 'unit' in input;
}

/**
 * The report from events already folded (by `readEventFiles`, or an {@link EventAccumulator} fed
 * by hand), with the count of malformed lines the reader skipped.
 */
export function reportFromEvents(
  accumulator: EventAccumulator,
  options: ExperimentOptions = {},
  malformed?: number,
): ExperimentReport {
  return eventsReport(accumulator, options, settingsOf(options), malformed);
}

function eventsReport(
  accumulator: EventAccumulator,
  options: ExperimentOptions,
  settings: ExperimentSettings,
  malformed?: number,
): ExperimentReport {
  const notes: string[] = [];
  const unit = options.unit ?? (accumulator.everyEventHasUnit ? 'user' : 'request');
  if (unit === 'user' && accumulator.counts.withoutUnit > 0) {
    notes.push(
      `${accumulator.counts.withoutUnit} events carry no unit or userId and are left out at the user unit`,
    );
  }
  if (options.unit === undefined && unit === 'request' && accumulator.counts.analyzed > 0) {
    notes.push('analysed per request because not every event carries a unit or userId');
  }
  const both = accumulator.usersInBothArms;
  if (both > 0) notes.push(`${both} users appear in both arms and are left out of user counts`);
  const report = reportOf(accumulator.stats(unit), settings, notes);
  const counts = accumulator.counts;
  report.events = {
    analyzed: counts.analyzed,
    outside_experiment: counts.outsideExperiment,
    without_unit: counts.withoutUnit,
    users_in_both_arms: both,
  };
  if (malformed !== undefined) report.events.malformed = malformed;
  return report;
}

function reportOf(
  stats: ExperimentStats,
  settings: ExperimentSettings,
  notes: string[],
): ExperimentReport {
  const metrics = Object.fromEntries(
    OUTCOME_METRICS.map((metric) => [metric, metricReport(stats, metric, settings)]),
  ) as Record<OutcomeMetric, MetricReport>;
  const tested = OUTCOME_METRICS.filter((metric) => metrics[metric].p_value !== null);
  const adjusted = holmAdjust(tested.map((metric) => metrics[metric].p_value!));
  for (const [index, metric] of tested.entries()) {
    metrics[metric].p_value_holm = adjusted[index]!;
    metrics[metric].significant = adjusted[index]! < settings.alpha;
  }
  notes.unshift(
    stats.unit === 'user'
      ? "unit of analysis: the user. Each metric is a ratio over users (sum of values / number of values) with the delta-method variance, so a user's repeat queries do not inflate significance"
      : 'unit of analysis: the request. Every query counts as an independent observation; when users repeat queries, significance is overstated',
  );
  const srm = sampleRatio(stats, settings);
  const units =
    stats.unit === 'user' && stats.units
      ? { ...stats.units }
      : { lightrag: metrics.success_rate.n[0], perplexity: metrics.success_rate.n[1] };
  const decided = judgeWinner(metrics, srm, settings);
  return {
    unit: stats.unit,
    alpha: settings.alpha,
    arms: { treatment: 'lightrag', baseline: 'perplexity' },
    units,
    srm,
    metrics,
    primary: settings.primary,
    guardrails: settings.guardrails,
    guardrail_tolerance: settings.guardrailTolerance,
    ...decided,
    notes,
  };
}
