import { FlagrouteError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import type { ExposureEvent, OutcomeEvent } from '../outcomes/index.js';
import { chiSquare, chiSquareIndependence, holmAdjust } from '../statistics/index.js';
import { EventAccumulator } from './event-accumulator.js';
import {
  type AnalysisUnit,
  type Arm,
  checkStats,
  type ExperimentStats,
} from './experiment-data.js';
import type { ExperimentOptions, ExperimentSettings } from './experiment-settings.js';
import {
  dataFromEvents,
  type EventCountsReport,
  type ExperimentData,
  type ReadingCounts,
  type SourceKind,
} from './experiment-source.js';
import { foldRecord } from './fold-record.js';
import { type MetricReport, metricReport } from './metric-report.js';
import { pValueText, verdictText } from './render-verdict.js';
import { type CappingReport, type TailTestReport, tailSections } from './tail-report.js';
import { type ReportSettings, reportSettingsOf, type TailOptions } from './tail-settings.js';
import { type VarianceReductionReport, varianceReduction } from './variance-reduction.js';
import { type GuardrailCheck, judgeWinner, type NoWinnerReason } from './winner-rule.js';

export type { ExperimentOptions } from './experiment-settings.js';

/** The sample-ratio test: distinct units per arm against the configured split. */
export interface SampleRatioReport {
  chi_square: number | null;
  p_value: number | null;
  mismatch: boolean;
  threshold: number;
  /**
   * What was counted: `exposures` (units with an exposure record), else `users` (units with an
   * outcome); null when the source has no unit counts (no test is made).
   */
  basis: 'exposures' | 'users' | null;
  /** The counts tested, per arm (null without unit counts). */
  observed: Record<Arm, number> | null;
  expected_share: number;
}

/** The report: the JSON `flagroute experiment report --json` prints. */
export interface ExperimentReport {
  /** Where the data came from. */
  source: SourceKind;
  /** The unit every statistic is computed at. */
  unit: AnalysisUnit;
  /** Per user with unit counts: the unit of randomisation, so a winner can be named. */
  unit_level: boolean;
  alpha: number;
  arms: { treatment: 'lightrag'; baseline: 'perplexity' };
  /** Units per arm at the unit of analysis: users, or outcomes at the request unit. */
  units: Record<Arm, number>;
  srm: SampleRatioReport;
  /** The outcome-return rate per arm, when the data has exposure records. */
  outcome_return: OutcomeReturnReport | null;
  metrics: Record<OutcomeMetric, MetricReport>;
  primary: OutcomeMetric;
  guardrails: OutcomeMetric[];
  guardrail_tolerance: number;
  /** Whether the decision reads the always-valid intervals. */
  sequential: boolean;
  min_units_per_arm: number;
  winner: Arm | null;
  /** The arm ahead on the primary metric's estimate (null: no estimate, or a tie). */
  leader: Arm | null;
  reason: NoWinnerReason | null;
  guardrail_checks: GuardrailCheck[];
  /** 1 - the primary's p-value (or 1 - alpha with `sequential`); null unless there is a winner. */
  confidence_level: number | null;
  verdict: string;
  /** What the reader should know about the data and the method. */
  notes: string[];
  /** Event counts when the report was made from events. */
  events?: EventCountsReport;
  /**
   * Each metric compared raw and adjusted for the queries' covariates (regression,
   * post-stratification by query type), when the data carried covariates. The winner rule
   * reads the raw comparisons above; these are shown beside them.
   */
  variance_reduction?: VarianceReductionReport;
  /** The metrics winsorized before the comparison, per arm (when capping was asked for). */
  capping?: CappingReport[];
  /** Response time's percentiles compared between the arms (docs/experiments.md, tail test). */
  tails: TailTestReport;
}

/** Sample-ratio test of exposed (else outcome-bearing) units against the split. */
function sampleRatio(stats: ExperimentStats, settings: ExperimentSettings): SampleRatioReport {
  const common = { threshold: settings.srmThreshold, expected_share: settings.treatmentShare };
  const counted = stats.exposures ?? stats.units;
  const basis = stats.exposures ? 'exposures' : stats.units ? 'users' : null;
  const observed = counted ? { lightrag: counted.lightrag, perplexity: counted.perplexity } : null;
  if (!observed || observed.lightrag + observed.perplexity === 0)
    return { chi_square: null, p_value: null, mismatch: false, basis, observed, ...common };
  const fit = chiSquare(
    [observed.lightrag, observed.perplexity],
    [settings.treatmentShare, 1 - settings.treatmentShare],
  );
  return {
    chi_square: fit.statistic,
    p_value: fit.pValue,
    mismatch: fit.pValue < settings.srmThreshold,
    basis,
    observed,
    ...common,
  };
}

/** Per arm, the share of exposed units that reported an outcome; and whether the arms differ. */
export interface OutcomeReturnReport {
  exposed: Record<Arm, number>;
  returned: Record<Arm, number>;
  rate: Record<Arm, number | null>;
  /** Chi-square test of independence of arm and returning (null with fewer than 2 arms). */
  chi_square: number | null;
  p_value: number | null;
  /** p below the sample-ratio threshold: one arm loses its outcomes more than the other. */
  differs: boolean;
  /** Exposed units seen in both arms (left out). */
  in_both_arms: number;
}

function outcomeReturn(
  stats: ExperimentStats,
  settings: ExperimentSettings,
): OutcomeReturnReport | null {
  const exposures = stats.exposures;
  if (!exposures) return null;
  const exposed = { lightrag: exposures.lightrag, perplexity: exposures.perplexity };
  const returned = { ...exposures.returned };
  const rate = (arm: Arm) => (exposed[arm] > 0 ? returned[arm] / exposed[arm] : null);
  const report: OutcomeReturnReport = {
    exposed,
    returned,
    rate: { lightrag: rate('lightrag'), perplexity: rate('perplexity') },
    chi_square: null,
    p_value: null,
    differs: false,
    in_both_arms: exposures.in_both_arms,
  };
  if (exposed.lightrag === 0 || exposed.perplexity === 0) return report;
  const fit = chiSquareIndependence([
    [returned.lightrag, exposed.lightrag - returned.lightrag],
    [returned.perplexity, exposed.perplexity - returned.perplexity],
  ]);
  if (fit.dof === 0) return report;
  return {
    ...report,
    chi_square: fit.statistic,
    p_value: fit.pValue,
    differs: fit.pValue < settings.srmThreshold,
  };
}

/**
 * Compares LightRAG (treatment) against Perplexity (baseline) on every outcome metric and
 * applies the winner rule (docs/experiments.md). Reads the data of a source
 * ({@link ExperimentData}), per-arm sufficient statistics, or outcome events (one pass; each
 * held to the event schema, a failing one skipped and counted). Every statistic is pinned in
 * docs/experiments.md and checked against scipy.
 */
export function analyzeExperiment(
  input: ExperimentData | ExperimentStats | Iterable<OutcomeEvent | ExposureEvent>,
  options: ExperimentOptions & TailOptions = {},
): ExperimentReport {
  const settings = reportSettingsOf(options);
  if (isData(input)) return reportOf(checked(input.stats), settings, input);
  if (isStats(input)) return reportOf(checked(input), settings, { source: 'stats', notes: [] });
  const accumulator = new EventAccumulator();
  let malformed = 0;
  for (const record of input) if ('problem' in foldRecord(accumulator, record)) malformed += 1;
  const data = dataFromEvents(accumulator, options.unit, malformed);
  return reportOf(data.stats, settings, data);
}

/**
 * Statistics held to the schema and for impossible numbers, as `--stats` files are: whatever
 * the library is given, a missing sum or an unknown metric is `INVALID_DATA` naming the field,
 * never a NaN or a metric silently left out.
 */
function checked(stats: ExperimentStats): ExperimentStats {
  const result = checkStats(stats);
  if (!result.ok) throw new FlagrouteError('INVALID_DATA', `the statistics: ${result.problem}`);
  return stats;
}

function isData(input: unknown): input is ExperimentData {
  return typeof input === 'object' && input !== null && 'stats' in input && 'source' in input;
}

function isStats(input: unknown): input is ExperimentStats {
  return typeof input === 'object' && input !== null && 'arms' in input && 'unit' in input;
}

/**
 * The report from events already folded (by `readEventFiles`, or an {@link EventAccumulator} fed
 * by hand), with what the reader skipped (the count of malformed lines, or both counts).
 */
export function reportFromEvents(
  accumulator: EventAccumulator,
  options: ExperimentOptions & TailOptions = {},
  reading?: number | ReadingCounts,
): ExperimentReport {
  const data = dataFromEvents(accumulator, options.unit, reading);
  return reportOf(data.stats, reportSettingsOf(options), data);
}

/** The primary is tested on its own; the other metrics share one Holm family. */
function adjust(metrics: Record<OutcomeMetric, MetricReport>, settings: ExperimentSettings): void {
  const primary = metrics[settings.primary];
  if (primary.p_value !== null) {
    primary.p_value_holm = primary.p_value;
    primary.significant = primary.p_value < settings.alpha;
  }
  const others = OUTCOME_METRICS.filter(
    (metric) => metric !== settings.primary && metrics[metric].p_value !== null,
  );
  const adjusted = holmAdjust(others.map((metric) => metrics[metric].p_value!));
  for (const [index, metric] of others.entries()) {
    metrics[metric].p_value_holm = adjusted[index]!;
    metrics[metric].significant = adjusted[index]! < settings.alpha;
  }
}

const USER_NOTE =
  "unit of analysis: the user, the unit of randomisation. Each metric is a ratio over users (sum of values / number of values) with the delta-method variance, so a user's repeat queries do not inflate significance";
const REQUEST_NOTE =
  'unit of analysis: the request. Every query counts as an independent observation; when users repeat queries, significance is overstated, so no winner is named unless a request-level winner is asked for';
const NO_UNITS_NOTE =
  'no unit counts: the sample ratio cannot be tested (a count of requests or outcomes is not a sample-ratio test)';

/** Outcomes per arm: every outcome carries success_rate; without it, the most of any metric. */
function outcomeCounts(metrics: Record<OutcomeMetric, MetricReport>): Record<Arm, number> {
  const most = (index: 0 | 1) =>
    Math.max(...OUTCOME_METRICS.map((metric) => metrics[metric].n[index]));
  const success = metrics.success_rate.n;
  return success[0] + success[1] > 0
    ? { lightrag: success[0], perplexity: success[1] }
    : { lightrag: most(0), perplexity: most(1) };
}

function reportOf(
  given: ExperimentStats,
  settings: ReportSettings,
  data: Pick<
    ExperimentData,
    'source' | 'notes' | 'events' | 'covariates' | 'tails' | 'latencyCounts'
  >,
): ExperimentReport {
  const { stats, ...tails } = tailSections(given, data, settings);
  const metrics = Object.fromEntries(
    OUTCOME_METRICS.map((metric) => [metric, metricReport(stats, metric, settings)]),
  ) as Record<OutcomeMetric, MetricReport>;
  adjust(metrics, settings);
  const notes = [stats.unit === 'user' ? USER_NOTE : REQUEST_NOTE, ...data.notes, ...tails.notes];
  if (!stats.units) notes.push(NO_UNITS_NOTE);
  const srm = sampleRatio(stats, settings);
  const returned = outcomeReturn(stats, settings);
  if (returned?.differs) {
    notes.push(
      `the arms return outcomes at different rates (${returned.rate.lightrag?.toFixed(3)} against ${returned.rate.perplexity?.toFixed(3)} of exposed units, p = ${pValueText(returned.p_value!)}): outcomes go missing more in one arm, which biases every comparison`,
    );
  }
  const units = stats.unit === 'user' && stats.units ? { ...stats.units } : outcomeCounts(metrics);
  const unitLevel = stats.unit === 'user' && stats.units !== undefined;
  const decision = judgeWinner(metrics, { srmMismatch: srm.mismatch, unitLevel, units }, settings);
  const report: ExperimentReport = {
    source: data.source,
    unit: stats.unit,
    unit_level: unitLevel,
    alpha: settings.alpha,
    arms: { treatment: 'lightrag', baseline: 'perplexity' },
    units,
    srm,
    outcome_return: returned,
    metrics,
    primary: settings.primary,
    guardrails: settings.guardrails,
    guardrail_tolerance: settings.guardrailTolerance,
    sequential: settings.sequential,
    min_units_per_arm: settings.minUnitsPerArm,
    ...decision,
    verdict: '',
    notes,
    tails: tails.tails,
  };
  if (tails.capping) report.capping = tails.capping;
  if (data.events) report.events = data.events;
  const covariates = tails.covariates ?? data.covariates;
  if (covariates) report.variance_reduction = varianceReduction(covariates, settings);
  report.verdict = verdictText(report);
  return report;
}
