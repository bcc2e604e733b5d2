import {
  bucketCountOf,
  bucketOfValue,
  TAIL_METRICS,
  TAIL_SCALES,
  type TailMetric,
  valueOfBucket,
} from '../metrics/index.js';
import { bucketAtRank, rankAtQuantile } from '../statistics/index.js';
import type { ArmMoments } from './arm-moments.js';
import { type CappedArms, type CappedClusters, cappedCovariates } from './capped-covariates.js';
import type { AnalysisUnit, Arm, ExperimentStats } from './experiment-data.js';
import type { TailSettings } from './tail-settings.js';
import type { ArmValues, TailData } from './tail-values.js';
import type { CovariateData } from './variance-reduction.js';

/** One arm's cap and what it changed. */
export interface ArmCapping {
  /** The cap: the arm's percentile read from its histogram (metric unit); null without values. */
  cap: number | null;
  values: number;
  /** Values above the cap, counted as the cap. */
  capped: number;
  raw_mean: number | null;
  capped_mean: number | null;
}

/** One capped metric: where it was capped and how many values the caps changed. */
export interface CappingReport {
  metric: TailMetric;
  percentile: number;
  unit: AnalysisUnit;
  /** Null per arm when the source keeps no values (`missing` says so). */
  arms: Record<Arm, ArmCapping> | null;
  /** `no_values`: the source keeps sums only (statistics, Prometheus, a store): not capped. */
  missing: 'no_values' | null;
}

/** The arm's cap: its values' percentile as an HDR histogram of them reads it. */
export function armCap(values: Float64Array, metric: TailMetric, percentile: number): number {
  const scale = TAIL_SCALES[metric];
  const counts = new Float64Array(bucketCountOf(scale));
  for (const value of values) counts[bucketOfValue(value, scale)]! += 1;
  const bucket = bucketAtRank(counts, rankAtQuantile(percentile / 100, values.length));
  return valueOfBucket(bucket, scale);
}

/**
 * An arm's users' sums of its values winsorized at `cap` (per cluster: a user, or a value at the
 * request unit), their counts, and the capped mean: what the capped comparison and the capped
 * variance reduction are both made of.
 */
function cappedClusters(arm: ArmValues, cap: number): CappedClusters {
  const sums = new Float64Array(arm.clusters);
  const counts = new Float64Array(arm.clusters);
  let total = 0;
  for (let index = 0; index < arm.values.length; index += 1) {
    const value = Math.min(arm.values[index]!, cap);
    sums[arm.clusterOf[index]!]! += value;
    counts[arm.clusterOf[index]!]! += 1;
    total += value;
  }
  const clusters: CappedClusters = { sums, counts, mean: total / arm.values.length };
  if (arm.slots) clusters.slots = arm.slots;
  return clusters;
}

/**
 * An arm's moments of capped clusters: per user the sum of the capped values (m_i) and their
 * count (d_i), around the capped mean (the shift), as the accumulator's user-level moments; at
 * the request unit the capped values' power sums.
 */
function cappedMoments(capped: CappedClusters, unit: AnalysisUnit): ArmMoments {
  const shift = capped.mean;
  const moments: ArmMoments = { n: capped.sums.length, sum: 0, sum_of_squares: 0, shift };
  if (unit === 'user') {
    moments.denominator_sum = 0;
    moments.denominator_sum_of_squares = 0;
    moments.cross_sum = 0;
  }
  for (let cluster = 0; cluster < capped.sums.length; cluster += 1) {
    const d = capped.counts[cluster]!;
    const m = capped.sums[cluster]! - shift * d;
    moments.sum += m;
    moments.sum_of_squares += m * m;
    if (unit === 'user') {
      moments.denominator_sum! += d;
      moments.denominator_sum_of_squares! += d * d;
      moments.cross_sum! += m * d;
    }
  }
  return moments;
}

function armCapping(arm: ArmValues, metric: TailMetric, percentile: number, unit: AnalysisUnit) {
  if (arm.values.length === 0) {
    const none: ArmCapping = { cap: null, values: 0, capped: 0, raw_mean: null, capped_mean: null };
    return { report: none, clusters: null, moments: null };
  }
  const cap = armCap(arm.values, metric, percentile);
  let capped = 0;
  let raw = 0;
  for (const value of arm.values) {
    raw += value;
    if (value > cap) capped += 1;
  }
  const clusters = cappedClusters(arm, cap);
  const moments = cappedMoments(clusters, unit);
  const report: ArmCapping = {
    cap,
    values: arm.values.length,
    capped,
    raw_mean: raw / arm.values.length,
    capped_mean: moments.shift! + moments.sum / arm.values.length,
  };
  return { report, clusters, moments };
}

/** What capping gives back: the statistics with the capped metrics' moments in place. */
export interface CappedStatistics {
  stats: ExperimentStats;
  /** Per metric the settings cap, what was done (or why not). */
  capping: CappingReport[];
  /**
   * The covariate cross-products with the capped metrics' folded again from the users' capped
   * sums (when covariates were given and a metric was capped).
   */
  covariates?: CovariateData;
  /** Capped metrics whose cross-products could not be folded again: left out of them. */
  covariatesLeftOut: TailMetric[];
}

/**
 * Winsorizes every metric the settings cap: per arm, the cap is the arm's percentile from its
 * histogram, each value above it counts as the cap, then the users' sums and the arm's
 * moments are made again, and so are the covariate cross-products of variance reduction when
 * `covariates` are given (capping comes before the adjustment, as in gbstats). Returns the
 * statistics with the capped metrics' moments in place, and what was done; a source without
 * values is reported as not capped.
 */
export function applyCapping(
  stats: ExperimentStats,
  tails: TailData | undefined,
  settings: TailSettings,
  covariates?: CovariateData,
): CappedStatistics {
  const capping: CappingReport[] = [];
  const clusters: Partial<Record<TailMetric, CappedArms>> = {};
  const arms = { lightrag: { ...stats.arms.lightrag }, perplexity: { ...stats.arms.perplexity } };
  for (const metric of TAIL_METRICS) {
    const percentile = settings.capping[metric];
    if (percentile === undefined) continue;
    if (!tails) {
      capping.push({ metric, percentile, unit: stats.unit, arms: null, missing: 'no_values' });
      continue;
    }
    const [treatment, baseline] = tails.metrics[metric].map((arm) =>
      armCapping(arm, metric, percentile, tails.unit),
    ) as [ReturnType<typeof armCapping>, ReturnType<typeof armCapping>];
    if (treatment.moments) arms.lightrag[metric] = treatment.moments;
    if (baseline.moments) arms.perplexity[metric] = baseline.moments;
    clusters[metric] = [treatment.clusters, baseline.clusters];
    capping.push({
      metric,
      percentile,
      unit: tails.unit,
      arms: { lightrag: treatment.report, perplexity: baseline.report },
      missing: null,
    });
  }
  const result: CappedStatistics = {
    stats: capping.length === 0 ? stats : { ...stats, arms },
    capping,
    covariatesLeftOut: [],
  };
  if (covariates) {
    const refolded = cappedCovariates(covariates, clusters);
    result.covariates = refolded.covariates;
    result.covariatesLeftOut = refolded.leftOut;
  }
  return result;
}
