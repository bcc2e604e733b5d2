import { FlagrouteError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/sufficient-stats.js';
import { chiSquare } from '../simulation/chi-square.js';
import { summarize } from './arm-moments.js';
import { type Better, type Comparison, compareArms, holmAdjust } from './compare-arms.js';
import { EventAccumulator } from './event-accumulator.js';
import type { AnalysisUnit, Arm, ExperimentStats, OutcomeEvent } from './experiment-data.js';

/** Which direction of each metric is better. */
export const METRIC_DIRECTIONS: Readonly<Record<OutcomeMetric, Better>> = {
  response_time: 'lower',
  success_rate: 'higher',
  quality_score: 'higher',
  cost_per_query: 'lower',
  satisfaction: 'higher',
};

/** Options of {@link analyzeExperiment}; every one has a default. */
export interface ExperimentOptions {
  /** Two-sided significance level, in (0, 0.5). Default 0.05. */
  alpha?: number;
  /** The metric that decides the winner. Default `quality_score`. */
  primary?: OutcomeMetric;
  /** Metrics the winner must not be significantly worse on. Default: the other four. */
  guardrails?: readonly OutcomeMetric[];
  /**
   * How much worse than the loser, relative to the baseline's mean, a guardrail may be before it
   * blocks a winner: blocked when the whole (1 - alpha) interval of the relative lift is worse
   * than this. Default 0.05 (5 %).
   */
  guardrailTolerance?: number;
  /** N* of the sequential interval. Default 5000. */
  sequentialTuning?: number;
  /** The sample-ratio test's p-value below which the split is a mismatch. Default 0.001. */
  srmThreshold?: number;
  /** Expected share of units in the treatment arm. Default 0.5. */
  treatmentShare?: number;
  /** Unit of analysis for events; default `user` when every event carries a unit or user id. */
  unit?: AnalysisUnit;
}

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

interface Settings {
  alpha: number;
  primary: OutcomeMetric;
  guardrails: OutcomeMetric[];
  guardrailTolerance: number;
  sequentialTuning: number;
  srmThreshold: number;
  treatmentShare: number;
}

function invalid(message: string): never {
  throw new FlagrouteError('INVALID_ARGUMENT', message);
}

function settingsOf(options: ExperimentOptions): Settings {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5)) invalid(`alpha must be above 0 and below 0.5, got ${alpha}`);
  const primary = options.primary ?? 'quality_score';
  if (!OUTCOME_METRICS.includes(primary)) {
    invalid(`the primary metric must be one of ${OUTCOME_METRICS.join(', ')}, got "${primary}"`);
  }
  const guardrails = [...(options.guardrails ?? OUTCOME_METRICS.filter((m) => m !== primary))];
  for (const metric of guardrails) {
    if (!OUTCOME_METRICS.includes(metric)) {
      invalid(`a guardrail must be one of ${OUTCOME_METRICS.join(', ')}, got "${metric}"`);
    }
    if (metric === primary)
      invalid(`${metric} is the primary metric; it cannot be a guardrail too`);
  }
  const guardrailTolerance = options.guardrailTolerance ?? 0.05;
  if (!(guardrailTolerance >= 0)) {
    invalid(`the guardrail tolerance must be 0 or more, got ${guardrailTolerance}`);
  }
  const sequentialTuning = options.sequentialTuning ?? 5000;
  if (!(sequentialTuning > 0))
    invalid(`the sequential tuning N* must be above 0, got ${sequentialTuning}`);
  const srmThreshold = options.srmThreshold ?? 0.001;
  if (!(srmThreshold > 0 && srmThreshold < 1)) {
    invalid(`the sample-ratio threshold must be between 0 and 1, got ${srmThreshold}`);
  }
  const treatmentShare = options.treatmentShare ?? 0.5;
  if (!(treatmentShare > 0 && treatmentShare < 1)) {
    invalid(`the treatment's expected share must be between 0 and 1, got ${treatmentShare}`);
  }
  return {
    alpha,
    primary,
    guardrails,
    guardrailTolerance,
    sequentialTuning,
    srmThreshold,
    treatmentShare,
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
  settings: Settings,
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
    return m.sum / (m.denominator_sum ?? m.n);
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
function sampleRatio(stats: ExperimentStats, settings: Settings): ExperimentReport['srm'] {
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
  settings: Settings,
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

function reportOf(stats: ExperimentStats, settings: Settings, notes: string[]): ExperimentReport {
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
  const decided = decide(metrics, srm, settings);
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

const NAMES: Record<Arm, string> = { lightrag: 'LightRAG', perplexity: 'Perplexity' };
const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

/** Whether `winner` is worse than the other arm on a guardrail by more than the tolerance. */
function regresses(metric: MetricReport, winner: Arm, tolerance: number): boolean {
  if (!metric.relative_ci) return false;
  const [low, high] = metric.relative_ci;
  // relative_ci is treatment against baseline; "worse for the winner" flips with the winner.
  const treatmentWorse = metric.better === 'higher' ? high < -tolerance : low > tolerance;
  const treatmentBetter = metric.better === 'higher' ? low > tolerance : high < -tolerance;
  return winner === 'lightrag' ? treatmentWorse : treatmentBetter;
}

function decide(
  metrics: Record<OutcomeMetric, MetricReport>,
  srm: ExperimentReport['srm'],
  settings: Settings,
): Pick<ExperimentReport, 'winner' | 'confidence_level' | 'reason' | 'verdict'> {
  const primary = metrics[settings.primary];
  const confidence = primary.p_value_holm === null ? null : 1 - primary.p_value_holm;
  const none = (reason: NoWinnerReason, verdict: string) => ({
    winner: null,
    confidence_level: confidence,
    reason,
    verdict,
  });
  if (srm.mismatch) {
    return none(
      'sample_ratio_mismatch',
      `No winner: the split of ${srm.basis} between the arms is not the configured one (sample-ratio test p = ${srm.p_value!.toPrecision(3)} < ${srm.threshold}); the assignment or the outcome reporting is broken, so no comparison can be trusted.`,
    );
  }
  if (primary.p_value === null || primary.estimate === null) {
    return none(
      'insufficient_data',
      `No winner: ${settings.primary} cannot be compared yet (${primary.note}).`,
    );
  }
  const lift = primary.relative === null ? '' : ` (${percent(primary.relative)})`;
  if (!primary.significant) {
    return none(
      'inconclusive',
      `No winner yet: ${settings.primary} differs by ${primary.estimate.toPrecision(3)}${lift}, which is not significant (Holm-adjusted p = ${primary.p_value_holm!.toPrecision(3)} >= ${settings.alpha}).`,
    );
  }
  const treatmentBetter = primary.better === 'higher' ? primary.estimate > 0 : primary.estimate < 0;
  const winner: Arm = treatmentBetter ? 'lightrag' : 'perplexity';
  const blocked = settings.guardrails.filter((metric) =>
    regresses(metrics[metric], winner, settings.guardrailTolerance),
  );
  if (blocked.length > 0) {
    const worse = blocked
      .map((metric) => `${metric} (${percent(metrics[metric].relative!)})`)
      .join(', ');
    return none(
      'guardrail_regression',
      `No winner: ${NAMES[winner]} is better on ${settings.primary}${lift}, but significantly worse beyond the ${(settings.guardrailTolerance * 100).toFixed(0)} % tolerance on ${worse}.`,
    );
  }
  return {
    winner,
    confidence_level: confidence,
    reason: null,
    verdict: `${NAMES[winner]} wins on ${settings.primary}${lift}, Holm-adjusted p = ${primary.p_value_holm!.toPrecision(3)}; no guardrail is worse beyond ${(settings.guardrailTolerance * 100).toFixed(0)} %.`,
  };
}
