import { bucketCountOf, bucketOfValue, TAIL_SCALES, valueOfBucket } from '../metrics/index.js';
import {
  type ClusteredBuckets,
  type ClusteredQuantile,
  clusteredQuantiles,
  confidenceSequenceHalfWidth,
  histogramQuantile,
  normalCdf,
  normalQuantile,
} from '../statistics/index.js';
import type { AnalysisUnit, Arm } from './experiment-data.js';
import type { ArmValues, TailData } from './tail-values.js';

/** Why a percentile's difference has no interval. */
export type TailMissing =
  /** The source keeps sums only (statistics, Prometheus, a store, a live router). */
  | 'no_values'
  /** An arm has fewer than two units. */
  | 'too_few_units'
  /** An arm has fewer than {@link MIN_VALUES_BEYOND} values expected beyond the percentile. */
  | 'too_few_tail_values';

/** Values each arm needs beyond a percentile (n (1 - p)) before its difference is tested. */
export const MIN_VALUES_BEYOND = 10;

/** One arm's percentile with Woodruff's interval and standard error. */
export interface ArmTail {
  value: number;
  /** Woodruff's (1 - alpha) interval of the arm's percentile. */
  lower: number;
  upper: number;
  standard_error: number;
  /** The share of values at or below the percentile's bucket, and its standard error. */
  share: number;
  share_standard_error: number;
  values: number;
  units: number;
}

/** One percentile compared between the arms (seconds). */
export interface TailComparison {
  percentile: number;
  arms: Record<Arm, ArmTail | null>;
  /** LightRAG's percentile minus Perplexity's. */
  difference: number | null;
  standard_error: number | null;
  interval: [number, number] | null;
  /**
   * The always-valid interval of the difference: Woodruff's standard error in the asymptotic
   * confidence sequence the metrics' `sequential_ci` use, valid however often it is looked at.
   */
  sequential_interval: [number, number] | null;
  p_value: number | null;
  /** `sequential_interval` excludes 0 when the report is sequential; else p < alpha. */
  significant: boolean;
  missing: TailMissing | null;
}

/** What the tail test is judged with: the report's alpha and its sequential settings. */
export interface TailTestSettings {
  alpha: number;
  /** Judge on the always-valid interval (`significant` reads it). */
  sequential: boolean;
  /** N* of the confidence sequence: the number of users it is tightest at. */
  sequentialTuning: number;
}

/** The tail test of response time: each percentile's difference between the arms. */
export interface TailTestReport {
  metric: 'response_time';
  unit: AnalysisUnit;
  method: 'woodruff';
  alpha: number;
  /** Whether `significant` reads the always-valid intervals. */
  sequential: boolean;
  comparisons: TailComparison[];
}

const SCALE = TAIL_SCALES.response_time;
const SIZE = bucketCountOf(SCALE);
const bucketValue = (bucket: number) => valueOfBucket(bucket, SCALE);

function bucketsOf(arm: ArmValues): ClusteredBuckets {
  const buckets = new Int32Array(arm.values.length);
  for (let index = 0; index < buckets.length; index += 1)
    buckets[index] = bucketOfValue(arm.values[index]!, SCALE);
  return { clusterCount: arm.clusters, clusters: arm.clusterOf, buckets };
}

function armTail(quantile: ClusteredQuantile | null): ArmTail | null {
  if (!quantile) return null;
  return {
    value: quantile.value,
    lower: quantile.lower,
    upper: quantile.upper,
    standard_error: quantile.standardError,
    share: quantile.share,
    share_standard_error: quantile.shareStandardError,
    values: quantile.values,
    units: quantile.clusters,
  };
}

/** Each arm's quantile: from values with their units, or from request-level bucket counts. */
type ArmGroup = ClusteredBuckets | Float64Array;

/** An arm's quantile at each percentile (all in one pass over values with their units). */
const quantilesOf = (group: ArmGroup, percentiles: readonly number[], alpha: number) =>
  group instanceof Float64Array
    ? percentiles.map((percentile) =>
        histogramQuantile(group, percentile / 100, alpha, bucketValue),
      )
    : clusteredQuantiles(
        group,
        percentiles.map((percentile) => percentile / 100),
        alpha,
        bucketValue,
        SIZE,
      );

function compare(
  quantiles: [ClusteredQuantile | null, ClusteredQuantile | null],
  percentile: number,
  settings: TailTestSettings,
): TailComparison {
  const { alpha } = settings;
  const [treatment, baseline] = quantiles.map(armTail) as [ArmTail | null, ArmTail | null];
  const comparison: TailComparison = {
    percentile,
    arms: { lightrag: treatment, perplexity: baseline },
    difference: null,
    standard_error: null,
    interval: null,
    sequential_interval: null,
    p_value: null,
    significant: false,
    missing: null,
  };
  if (!treatment || !baseline) return { ...comparison, missing: 'too_few_units' };
  comparison.difference = treatment.value - baseline.value;
  const beyond = (arm: ArmTail) => arm.values * (1 - percentile / 100);
  if (beyond(treatment) < MIN_VALUES_BEYOND || beyond(baseline) < MIN_VALUES_BEYOND)
    return { ...comparison, missing: 'too_few_tail_values' };
  const standardError = Math.hypot(treatment.standard_error, baseline.standard_error);
  const z = normalQuantile(1 - alpha / 2);
  const difference = comparison.difference;
  comparison.standard_error = standardError;
  comparison.interval = [difference - z * standardError, difference + z * standardError];
  const half = confidenceSequenceHalfWidth(
    standardError,
    treatment.units + baseline.units,
    alpha,
    settings.sequentialTuning,
  );
  comparison.sequential_interval = [difference - half, difference + half];
  if (standardError > 0) {
    comparison.p_value = 2 * normalCdf(-Math.abs(difference) / standardError);
    const [low, high] = comparison.sequential_interval;
    comparison.significant = settings.sequential ? low > 0 || high < 0 : comparison.p_value < alpha;
  }
  return comparison;
}

/**
 * The difference of response time's percentiles between the arms, each arm's percentile read
 * from its values' HDR buckets and its standard error found at the unit of analysis by
 * Woodruff's method (`clusteredQuantile`): at the user unit a user's correlated requests widen
 * the interval as they should. From request-level bucket counts (a live router's histograms,
 * `[lightrag, perplexity]`) every request is its own unit. Without either (a source of sums)
 * every comparison says `no_values`. Beside the fixed-horizon interval, the always-valid one:
 * the percentile is asymptotically a mean of its influence values (Bahadur's representation),
 * so the confidence sequence of a difference of means holds for it with Woodruff's standard
 * error, per user (docs/experiments.md, the tail test).
 */
export function tailTest(
  tails: TailData | [Float64Array, Float64Array] | undefined,
  unit: AnalysisUnit,
  percentiles: readonly number[],
  settings: TailTestSettings,
): TailTestReport {
  const report: TailTestReport = {
    metric: 'response_time',
    unit: Array.isArray(tails) ? 'request' : (tails?.unit ?? unit),
    method: 'woodruff',
    alpha: settings.alpha,
    sequential: settings.sequential,
    comparisons: [],
  };
  if (!tails) {
    report.comparisons = percentiles.map((percentile) => ({
      percentile,
      arms: { lightrag: null, perplexity: null },
      difference: null,
      standard_error: null,
      interval: null,
      sequential_interval: null,
      p_value: null,
      significant: false,
      missing: 'no_values',
    }));
    return report;
  }
  const groups = Array.isArray(tails)
    ? tails
    : (tails.metrics.response_time.map(bucketsOf) as [ClusteredBuckets, ClusteredBuckets]);
  const [treatment, baseline] = groups.map((group) =>
    quantilesOf(group, percentiles, settings.alpha),
  ) as [(ClusteredQuantile | null)[], (ClusteredQuantile | null)[]];
  report.comparisons = percentiles.map((percentile, index) =>
    compare([treatment[index] ?? null, baseline[index] ?? null], percentile, settings),
  );
  return report;
}
