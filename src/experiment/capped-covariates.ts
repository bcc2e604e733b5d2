import { METRIC_TABLE, type TailMetric } from '../metrics/index.js';
import type { CovariateMoments } from '../statistics/index.js';
import type { UnitCovariates } from './covariate-design.js';
import { addCrossProducts, emptyCovariateMoments, QUERIES, unitVector } from './unit-moments.js';
import { TALLY_WIDTH, type UserTallies } from './user-tallies.js';
import type { CovariateData, UnitCovariateVectors } from './variance-reduction.js';

/**
 * One arm's clusters of a capped metric (users at the user unit): each one's sum of its values
 * winsorized at the arm's cap and their count, and the arm's capped mean.
 */
export interface CappedClusters {
  sums: Float64Array;
  counts: Float64Array;
  mean: number;
  /** Each cluster's user slot, where the user's covariates are (from an accumulator). */
  slots?: Int32Array;
}

/** Both arms' capped clusters of a metric (treatment, baseline); null for an arm without values. */
export type CappedArms = [CappedClusters | null, CappedClusters | null];

/**
 * One arm's cross-products of a capped metric: per user the vector (m_i, d_i, c_i, s_i) with
 * m_i the user's capped sum around the arm's capped mean, d_i its count, and the user's query
 * count and covariate sums as the pass kept them. Null when the users' covariates are unknown.
 */
function refold(
  capped: CappedClusters,
  data: CovariateData,
  size: number,
): CovariateMoments | null {
  const { units } = data;
  const { slots } = capped;
  if (!units || !slots || data.unit !== 'user') return null;
  const moments = emptyCovariateMoments(size);
  const vector = new Float64Array(size);
  for (let cluster = 0; cluster < capped.sums.length; cluster += 1) {
    const slot = slots[cluster]!;
    const d = capped.counts[cluster]!;
    const m = capped.sums[cluster]! - capped.mean * d;
    unitVector(vector, m, d, units.queries[slot]!, units.rows[slot]);
    addCrossProducts(moments, vector);
  }
  return moments;
}

/**
 * The covariate cross-products with each capped metric's folded again from its users' capped
 * sums, so that variance reduction compares the capped metric as the metrics table does. A
 * metric whose users' covariates were not kept (a hand-made `CovariateData`) is left out of the
 * cross-products (its comparison then is not computable) and named in `leftOut`.
 */
export function cappedCovariates(
  data: CovariateData,
  capped: Partial<Record<TailMetric, CappedArms>>,
): { covariates: CovariateData; leftOut: TailMetric[] } {
  const size = 3 + data.columns.length;
  const arms: CovariateData['arms'] = [[...data.arms[0]], [...data.arms[1]]];
  const shifts: CovariateData['shifts'] = [[...data.shifts[0]], [...data.shifts[1]]];
  const leftOut: TailMetric[] = [];
  for (const [metric, both] of Object.entries(capped) as [TailMetric, CappedArms][]) {
    const index = METRIC_TABLE.findIndex((spec) => spec.name === metric);
    const folded = both.map((arm) => (arm ? refold(arm, data, size) : emptyCovariateMoments(size)));
    if (folded.some((moments) => moments === null)) leftOut.push(metric);
    for (const arm of [0, 1] as const) {
      arms[arm][index] = folded[arm] ?? emptyCovariateMoments(size);
      shifts[arm][index] = both[arm]?.mean ?? 0;
    }
  }
  return { covariates: { ...data, arms, shifts }, leftOut };
}

/**
 * Per user slot of an accumulator's pass, the query count and (the same array as kept, not a
 * copy) the covariate column sums: 16 bytes a user beyond the pass's own, for capping to fold
 * again.
 */
export function unitCovariateVectors(
  users: UserTallies,
  covariates: UnitCovariates,
): UnitCovariateVectors {
  const { sums, size, keys } = users;
  const queries = new Float64Array(size);
  const rows = new Array<Float64Array | undefined>(size);
  for (let slot = 0; slot < size; slot += 1) {
    queries[slot] = sums[slot * TALLY_WIDTH + QUERIES * 2 + 1]!;
    rows[slot] = covariates.of(keys[slot]!);
  }
  return { queries, rows };
}
