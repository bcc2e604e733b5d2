import {
  METRIC_DIRECTIONS,
  OUTCOME_METRICS,
  type OutcomeMetric,
  STRATUM_PREFIX,
} from '../metrics/index.js';
import {
  type AdjustedSummary,
  adjustRatio,
  type CovariateMoments,
  pooledCovariateMeans,
  type SampleSummary,
} from '../statistics/index.js';
import { compareArms } from './compare-arms.js';
import type { AnalysisUnit } from './experiment-data.js';
import type { ExperimentSettings } from './experiment-settings.js';

/**
 * The ways a comparison is adjusted for its covariates: `regression` on every column of the
 * design, `post_stratification` on the query type's strata alone (its indicators).
 */
export const ADJUSTMENT_METHODS = ['regression', 'post_stratification'] as const;
/** A method from {@link ADJUSTMENT_METHODS}. */
export type AdjustmentMethod = (typeof ADJUSTMENT_METHODS)[number];

/**
 * Per user slot of an accumulator, what a metric capped after the pass needs, besides its capped
 * sums, to fold its cross-products again: the user's query count and covariate column sums.
 */
export interface UnitCovariateVectors {
  /** Per slot, the user's query count c_i. */
  queries: Float64Array;
  /** Per slot, the user's covariate column sums (none: zeros; shorter: later columns 0). */
  rows: readonly (ArrayLike<number> | undefined)[];
}

/** Per-unit covariate cross-products of both arms, as a source gives them. */
export interface CovariateData {
  /** The unit they are per: `request` sums are request-level figures only. */
  unit: AnalysisUnit;
  /** The design's columns: `lengthBucket`, `complexity`, `queryType=<level>`, `region=<level>`. */
  columns: string[];
  /** Category levels beyond the design's limit, left out. */
  dropped_levels: number;
  /** Per arm (treatment, baseline) and metric, the value the units' m_i are taken around. */
  shifts: [number[], number[]];
  /** Per arm and metric in the metric table's order. */
  arms: [CovariateMoments[], CovariateMoments[]];
  /**
   * The users' vectors, from a source that keeps each value with its user (the event log), so
   * that capping can fold a capped metric's cross-products again.
   */
  units?: UnitCovariateVectors;
}

/** A treatment-against-baseline difference with its interval (Welch). */
export interface Effect {
  /** Per arm (treatment, baseline). */
  mean: [number, number];
  estimate: number;
  se: number;
  ci: [number, number];
  p_value: number;
  df: number;
}

/** One metric compared raw and adjusted by one method. */
export interface AdjustedComparison {
  /** The columns used. */
  columns: string[];
  /** Columns that carried information (the rank of their cross-products). */
  rank: number;
  raw: Effect;
  adjusted: Effect;
  /**
   * 1 - adjusted variance / raw variance of the estimate: the share of the difference's
   * variance the covariates explained (negative when they explained none and cost degrees of
   * freedom).
   */
  variance_reduction: number;
}

/** The report's variance reduction: per metric and method, raw and adjusted side by side. */
export interface VarianceReductionReport {
  unit: AnalysisUnit;
  /** At the request unit: request-level figures, never a test (a user's queries are correlated). */
  request_level: boolean;
  columns: string[];
  dropped_levels: number;
  /** Per metric and method; null where no comparison exists (too few units, no variation). */
  metrics: Record<OutcomeMetric, Record<AdjustmentMethod, AdjustedComparison | null>>;
}

/** The columns each method uses, by index in the design. */
function columnsOf(method: AdjustmentMethod, columns: readonly string[]): number[] {
  const all = columns.map((_, at) => at);
  return method === 'regression'
    ? all
    : all.filter((at) => columns[at]!.startsWith(STRATUM_PREFIX));
}

/** Welch's comparison of two summaries, as the report's. */
function effectOf(
  t: SampleSummary,
  b: SampleSummary,
  metric: OutcomeMetric,
  settings: ExperimentSettings,
): Effect | null {
  const compared = compareArms(t, b, METRIC_DIRECTIONS[metric], settings);
  if (!compared) return null;
  const { estimate, se, ci, p_value, df } = compared;
  return { mean: [t.mean, b.mean], estimate, se, ci, p_value, df };
}

/**
 * Both arms' summaries of one metric (by its index in the metric table), raw and adjusted by one
 * method to the pooled covariate means, with the columns used; null when the method has no
 * columns or an arm has too few units. What the report and the plan's guardrails compare.
 */
export function adjustedArms(
  data: CovariateData,
  index: number,
  method: AdjustmentMethod,
): { arms: [AdjustedSummary, AdjustedSummary]; columns: number[] } | null {
  const [t, b] = [data.arms[0][index], data.arms[1][index]];
  if (!t || !b) return null;
  const pooled = pooledCovariateMeans(t, b);
  const columns = columnsOf(method, data.columns);
  if (columns.length === 0) return null;
  const [treatment, baseline] = [0, 1].map((arm) =>
    adjustRatio(data.arms[arm as 0 | 1][index]!, pooled, {
      columns,
      shift: data.shifts[arm as 0 | 1][index]!,
    }),
  );
  if (!treatment || !baseline) return null;
  return { arms: [treatment, baseline], columns };
}

/** One metric (by its index in the metric table) compared raw and adjusted by one method. */
export function compareAdjusted(
  data: CovariateData,
  index: number,
  method: AdjustmentMethod,
  settings: ExperimentSettings,
): AdjustedComparison | null {
  const metric = OUTCOME_METRICS[index]!;
  const both = adjustedArms(data, index, method);
  if (!both) return null;
  const { arms, columns } = both;
  const raw = effectOf(arms[0].raw, arms[1].raw, metric, settings);
  const adjusted = effectOf(arms[0].adjusted, arms[1].adjusted, metric, settings);
  if (!raw || !adjusted) return null;
  return {
    columns: columns.map((at) => data.columns[at]!),
    rank: Math.min(arms[0].rank, arms[1].rank),
    raw,
    adjusted,
    variance_reduction: 1 - adjusted.se ** 2 / raw.se ** 2,
  };
}

/** Every metric compared raw and adjusted, by each method. */
export function varianceReduction(
  data: CovariateData,
  settings: ExperimentSettings,
): VarianceReductionReport {
  const metrics = Object.fromEntries(
    OUTCOME_METRICS.map((metric, index) => [
      metric,
      Object.fromEntries(
        ADJUSTMENT_METHODS.map((method) => [
          method,
          compareAdjusted(data, index, method, settings),
        ]),
      ),
    ]),
  ) as VarianceReductionReport['metrics'];
  return {
    unit: data.unit,
    request_level: data.unit === 'request',
    columns: data.columns,
    dropped_levels: data.dropped_levels,
    metrics,
  };
}
