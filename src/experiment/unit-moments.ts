import { METRIC_TABLE, OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import type { CovariateMoments } from '../statistics/index.js';
import type { ArmMoments } from './arm-moments.js';

const METRIC_COUNT = METRIC_TABLE.length;
/** Every outcome has a success: its count is the unit's query count, c_i of the covariates. */
export const QUERIES = METRIC_TABLE.findIndex((spec) => spec.name === 'success_rate');

/** An arm's moments of every metric, in the metric table's order, all zero. */
export function emptyArmMoments(): ArmMoments[] {
  return OUTCOME_METRICS.map(() => ({
    n: 0,
    sum: 0,
    sum_of_squares: 0,
    denominator_sum: 0,
    denominator_sum_of_squares: 0,
    cross_sum: 0,
  }));
}

/** A list in the metric table's order as a record by metric name. */
export function byMetric<Value>(list: readonly Value[]): Record<OutcomeMetric, Value> {
  return Object.fromEntries(
    OUTCOME_METRICS.map((metric, index) => [metric, list[index]!]),
  ) as Record<OutcomeMetric, Value>;
}

/**
 * Folds per-unit sums into each arm's user-level moments: the one place where a unit's row
 * (per metric m_i, the sum of its values, and d_i, their count) becomes the arm's sufficient
 * statistics (n, sum m, sum m^2, sum d, sum d^2, sum m d; see {@link ArmMoments}). The in-process
 * stage tally, the event log's accumulator and the store's rows (summed per arm in SQL with the
 * same fields, {@link unitMomentSql}) all give their units to it, so what a unit contributes
 * is written once. A unit without any value of a metric is not counted for that metric.
 */
export class UnitMomentsFold {
  /** Per arm (0 treatment, 1 baseline), per metric in the table's order. */
  readonly arms: [ArmMoments[], ArmMoments[]] = [emptyArmMoments(), emptyArmMoments()];
  /** Units with at least one value of any metric, per arm. */
  readonly units: [number, number] = [0, 0];
  /**
   * Per arm, per metric: the cross-products of (m_i, d_i, c_i, s_i1 .. s_ik) for regression
   * adjustment, when the fold was made with `covariateWidth` k > 0 (else empty).
   */
  readonly covariates: [CovariateMoments[], CovariateMoments[]];
  private readonly vector: Float64Array;

  /**
   * @param shifts per arm, per metric: the value c each m_i is taken around (m_i - c d_i), so the
   *   sums of squares hold the spread between units rather than c's square (none: 0).
   * @param covariateWidth k, the covariate columns of each unit's `covariates` (0: none kept).
   */
  constructor(
    private readonly shifts?: readonly [readonly number[], readonly number[]],
    private readonly covariateWidth = 0,
  ) {
    const size = 3 + covariateWidth;
    const empty = () =>
      covariateWidth === 0 ? [] : OUTCOME_METRICS.map(() => emptyCovariateMoments(size));
    this.covariates = [empty(), empty()];
    this.vector = new Float64Array(size);
  }

  /**
   * Adds one unit of `arm` whose sums are `sums` from `at` (per metric m_i then d_i, as a tally
   * keeps them: an offset into all units' sums rather than a view per unit, which was a third of
   * folding a million users) and, with a covariate width, whose covariate column sums are
   * `covariates` (missing columns 0).
   */
  add(arm: 0 | 1, sums: ArrayLike<number>, covariates?: ArrayLike<number>, at = 0): void {
    const moments = this.arms[arm];
    const shifts = this.shifts?.[arm];
    let any = false;
    for (let index = 0; index < METRIC_COUNT; index += 1) {
      const d = sums[at + index * 2 + 1]!;
      if (d === 0) continue;
      any = true;
      const m = sums[at + index * 2]! - (shifts ? shifts[index]! * d : 0);
      const metric = moments[index]!;
      metric.n += 1;
      metric.sum += m;
      metric.sum_of_squares += m * m;
      metric.denominator_sum! += d;
      metric.denominator_sum_of_squares! += d * d;
      metric.cross_sum! += m * d;
      if (this.covariateWidth > 0)
        this.addProducts(
          this.covariates[arm][index]!,
          m,
          d,
          sums[at + QUERIES * 2 + 1]!,
          covariates,
        );
    }
    if (any) this.units[arm] += 1;
  }

  private addProducts(
    into: CovariateMoments,
    m: number,
    d: number,
    queries: number,
    covariates: ArrayLike<number> | undefined,
  ): void {
    const v = this.vector;
    unitVector(v, m, d, queries, covariates);
    addCrossProducts(into, v);
  }
}

/**
 * Writes a unit's vector (m_i, d_i, c_i, s_i1 .. s_ik) into `into` (3 + k long): its metric's
 * sum and count, its query count and its covariate column sums (missing columns 0).
 */
export function unitVector(
  into: Float64Array,
  m: number,
  d: number,
  c: number,
  covariates: ArrayLike<number> | undefined,
): void {
  into.fill(0);
  into[0] = m;
  into[1] = d;
  into[2] = c;
  const width = Math.min(into.length - 3, covariates?.length ?? 0);
  for (let j = 0; j < width; j += 1) into[3 + j] = covariates![j]!;
}

/** Adds one unit's vector v to an arm's sums of v and of v v' (its covariate cross-products). */
export function addCrossProducts(into: CovariateMoments, v: ArrayLike<number>): void {
  const size = v.length;
  into.n += 1;
  for (let row = 0; row < size; row += 1) {
    const x = v[row]!;
    into.sums[row]! += x;
    if (x === 0) continue;
    for (let column = 0; column < size; column += 1)
      into.products[row * size + column]! += x * v[column]!;
  }
}

/** Empty cross-products of vectors of `size` numbers. */
export function emptyCovariateMoments(size: number): CovariateMoments {
  return {
    n: 0,
    sums: new Array<number>(size).fill(0),
    products: new Array<number>(size * size).fill(0),
  };
}

/**
 * The same fold in SQL, for a store that sums per unit and then per arm in the database: given
 * the per-unit columns `m<i>` and `d<i>` of the metric at index i, the per-arm aggregates
 * `n<i>`, `s<i>`, `q<i>`, `ds<i>`, `dq<i>`, `x<i>`, read back by {@link armMomentsOfRow}.
 */
export function unitMomentSql(index: number): string {
  const [m, d] = [`m${index}`, `d${index}`];
  return [
    `count(*) FILTER (WHERE ${d} > 0)::float8 AS n${index}`,
    `sum(${m}) AS s${index}`,
    `sum(${m} * ${m}) AS q${index}`,
    `sum(${d}) AS ds${index}`,
    `sum(${d} * ${d}) AS dq${index}`,
    `sum(${m} * ${d}) AS x${index}`,
  ].join(', ');
}

/** One metric's arm moments from a row of {@link unitMomentSql}'s aggregates. */
export function armMomentsOfRow(row: Record<string, unknown>, index: number): ArmMoments {
  const read = (name: string) => Number(row[`${name}${index}`] ?? 0);
  return {
    n: read('n'),
    sum: read('s'),
    sum_of_squares: read('q'),
    denominator_sum: read('ds'),
    denominator_sum_of_squares: read('dq'),
    cross_sum: read('x'),
  };
}
