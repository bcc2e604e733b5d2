import { FlagrouteError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import { type OutcomeEvent, parseOutcome } from '../outcomes/index.js';
import { chiSquare, holmAdjust } from '../statistics/index.js';
import { EventAccumulator } from './event-accumulator.js';
import {
  type AnalysisUnit,
  type Arm,
  checkStatsValues,
  type ExperimentStats,
} from './experiment-data.js';
import {
  type ExperimentOptions,
  type ExperimentSettings,
  settingsOf,
} from './experiment-settings.js';
import { type MetricReport, metricReport } from './metric-report.js';
import { judgeWinner } from './winner-rule.js';

export type { ExperimentOptions } from './experiment-settings.js';

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
    /** Outcomes that repeat an earlier line's decision id (counted as given). */
    duplicate_decision_ids?: number;
  };
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
  if (isStats(input)) {
    const checked = checkStatsValues(input);
    if (!checked.ok) throw new FlagrouteError('INVALID_DATA', `the statistics: ${checked.problem}`);
    return reportOf(input, settings, []);
  }
  const accumulator = new EventAccumulator();
  let malformed = 0;
  // The events pass the schema the event reader holds every line to (a NaN, a negative
  // latency, an unknown cohort): one that does not is skipped and counted, as a line is.
  for (const event of input) {
    if (parseOutcome(event, 'event').ok) accumulator.add(event);
    else malformed += 1;
  }
  return eventsReport(accumulator, options, settings, { malformed });
}

function isStats(input: unknown): input is ExperimentStats {
  return typeof input === 'object' && input !== null && 'arms' in input && 'unit' in input;
}

/** What a reader of event files found besides events (`readEventFiles` gives both counts). */
export interface ReadingCounts {
  /** Lines skipped as not outcome events. */
  malformed: number;
  /** Outcomes repeating an earlier line's decision id. */
  duplicateDecisionIds?: number;
}

/**
 * The report from events already folded (by `readEventFiles`, or an {@link EventAccumulator} fed
 * by hand), with what the reader skipped (the count of malformed lines, or both counts).
 */
export function reportFromEvents(
  accumulator: EventAccumulator,
  options: ExperimentOptions = {},
  reading?: number | ReadingCounts,
): ExperimentReport {
  const counts = typeof reading === 'number' ? { malformed: reading } : reading;
  return eventsReport(accumulator, options, settingsOf(options), counts);
}

function eventsReport(
  accumulator: EventAccumulator,
  options: ExperimentOptions,
  settings: ExperimentSettings,
  reading?: ReadingCounts,
): ExperimentReport {
  const notes: string[] = [];
  const duplicates = reading?.duplicateDecisionIds ?? 0;
  if (duplicates > 0) {
    notes.push(
      `${duplicates} outcomes repeat the decision id of an earlier line and are counted again (a file given twice, or a copy beside its .gz?)`,
    );
  }
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
  if (reading !== undefined) report.events.malformed = reading.malformed;
  if (reading?.duplicateDecisionIds !== undefined) {
    report.events.duplicate_decision_ids = reading.duplicateDecisionIds;
  }
  if (reading?.malformed) {
    notes.push(`${reading.malformed} events fail the event schema and are left out`);
  }
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
