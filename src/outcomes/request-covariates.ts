import {
  CovariateDesign,
  type Covariates,
  METRIC_TABLE,
  NUMERIC_COVARIATES,
} from '../metrics/index.js';
import type { CovariateMoments } from '../statistics/index.js';

/**
 * The most covariate columns request-level sums keep (the numeric covariates and the first
 * levels seen): each pair of columns is one Prometheus series per cohort and metric, so the
 * bound keeps an instance's series at (2 + 16)(3 + 16) / 2 = 171 per cohort and metric.
 */
export const MAX_REQUEST_COVARIATE_COLUMNS = 16;

/** The entry of a request's vector that is the metric's value less its reference. */
export const VALUE_ENTRY = 'value';
/** The entry that is 1 for every request (its products are counts and plain sums). */
export const ONE_ENTRY = 'one';

const METRIC_COUNT = METRIC_TABLE.length;
const WIDTH = 2 + MAX_REQUEST_COVARIATE_COLUMNS;
/** Each metric's value is taken around its fixed reference, as the power sums are. */
const REFERENCES = METRIC_TABLE.map((row) => row.reference);

/** Request-level covariate sums of both arms, as the adjustment reads them. */
export interface RequestCovariateSnapshot {
  /** The design's columns, in the order first seen. */
  columns: string[];
  /** Category levels seen beyond {@link MAX_REQUEST_COVARIATE_COLUMNS}, left out. */
  droppedLevels: number;
  /** Per metric in the table's order: the reference each value is taken around (both arms). */
  shifts: number[];
  /**
   * Per arm (LightRAG, Perplexity) and metric: the cross-products of each request's
   * (x - shift, 1, 1, s_1 .. s_k), a unit of one request (d = c = 1).
   */
  arms: [CovariateMoments[], CovariateMoments[]];
}

/** One cross-product of two entries of the request vector, named for Prometheus. */
export interface RequestCovariateProduct {
  arm: 0 | 1;
  metric: number;
  /** The entries, in a fixed order whatever the design's ({@link VALUE_ENTRY}, {@link ONE_ENTRY}, then by name). */
  row: string;
  column: string;
  value: number;
}

/**
 * Per arm and metric, the sums over requests of v v' for v = (x - reference, 1, s_1 .. s_k): a
 * request's metric value and its covariate row (numeric covariates, one indicator per level).
 * Additive: two instances' products, matched by their entries' names, are the products of the
 * union, which is what Prometheus sums. Memory is fixed (2 arms x 5 metrics x 18^2 numbers);
 * a request costs the products of its few non-zero entries.
 */
export class RequestCovariateSums {
  private readonly design = new CovariateDesign(MAX_REQUEST_COVARIATE_COLUMNS);
  private readonly products = [0, 1].map(() =>
    Array.from({ length: METRIC_COUNT }, () => new Float64Array(WIDTH * WIDTH)),
  );
  private readonly entries = new Int32Array(WIDTH);
  private readonly values = new Float64Array(WIDTH);
  /** Per categorical covariate (query type, region): each level's column. */
  private readonly levels = [new Map<string, number>(), new Map<string, number>()];

  /**
   * Adds one request of `arm` whose metric values are `values` (table order, NaN where it has
   * none) and whose decision knew `covariates` (none: a row of zeros).
   */
  add(arm: 0 | 1, values: Float64Array, covariates: Covariates | undefined): void {
    let size = 2;
    this.entries[1] = 1;
    this.values[1] = 1;
    const entry = (column: number | undefined, value: number) => {
      if (column === undefined || value === 0) return;
      this.entries[size] = 2 + column;
      this.values[size] = value;
      size += 1;
    };
    if (covariates) {
      for (const [at, name] of NUMERIC_COVARIATES.entries()) entry(at, covariates[name] ?? 0);
      if (covariates.queryType !== undefined)
        entry(this.levelColumn(0, 'queryType', covariates.queryType), 1);
      if (covariates.region !== undefined)
        entry(this.levelColumn(1, 'region', covariates.region), 1);
    }
    this.entries[0] = 0;
    for (let metric = 0; metric < METRIC_COUNT; metric += 1) {
      const x = values[metric]!;
      if (Number.isNaN(x)) continue;
      this.values[0] = x - REFERENCES[metric]!;
      const into = this.products[arm]![metric]!;
      for (let a = 0; a < size; a += 1) {
        const row = this.entries[a]! * WIDTH;
        const va = this.values[a]!;
        for (let b = 0; b < size; b += 1) into[row + this.entries[b]!]! += va * this.values[b]!;
      }
    }
  }

  /** A level's column, remembered per covariate so that a request builds no name. */
  private levelColumn(at: 0 | 1, covariate: string, level: string): number | undefined {
    const known = this.levels[at]!;
    if (known.has(level)) return known.get(level);
    const column = this.design.columnOf(`${covariate}=${level}`);
    // Levels beyond the bound are not remembered: each is counted once by the design.
    if (column !== undefined) known.set(level, column);
    return column;
  }

  /** The sums as the adjustment reads them (see {@link RequestCovariateSnapshot}). */
  snapshot(): RequestCovariateSnapshot {
    const k = this.design.names.length;
    // v = (m, d, c, s_1 .. s_k) from the entries (value, one, one, columns).
    const map = [0, 1, 1, ...Array.from({ length: k }, (_, j) => 2 + j)];
    const size = map.length;
    const arms = this.products.map((metrics) =>
      metrics.map((products): CovariateMoments => {
        const at = (i: number, j: number) => products[map[i]! * WIDTH + map[j]!]!;
        return {
          n: products[WIDTH + 1]!,
          sums: map.map((_, i) => at(1, i)),
          products: Array.from({ length: size * size }, (_, index) =>
            at(Math.floor(index / size), index % size),
          ),
        };
      }),
    ) as [CovariateMoments[], CovariateMoments[]];
    return {
      columns: [...this.design.names],
      droppedLevels: this.design.droppedLevels,
      shifts: [...REFERENCES],
      arms,
    };
  }

  /**
   * Every cross-product of two entries once (the matrix is symmetric), named: what `/metrics`
   * exports. Only metrics of arms with requests.
   */
  *namedProducts(): Generator<RequestCovariateProduct> {
    const names = [VALUE_ENTRY, ONE_ENTRY, ...this.design.names];
    for (const arm of [0, 1] as const) {
      for (let metric = 0; metric < METRIC_COUNT; metric += 1) {
        const products = this.products[arm]![metric]!;
        if (products[WIDTH + 1] === 0) continue;
        for (let a = 0; a < names.length; a += 1) {
          for (let b = a; b < names.length; b += 1) {
            const [row, column] = orderedEntries(names[a]!, names[b]!);
            yield { arm, metric, row, column, value: products[a * WIDTH + b]! };
          }
        }
      }
    }
  }
}

/** The rank of an entry's name: value, then one, then the covariate columns by name. */
function entryRank(name: string): string {
  return name === VALUE_ENTRY ? '0' : name === ONE_ENTRY ? '1' : `2${name}`;
}

/** Two entries in the fixed order every instance uses, so their series add up in Prometheus. */
export function orderedEntries(a: string, b: string): [string, string] {
  return entryRank(a) <= entryRank(b) ? [a, b] : [b, a];
}
