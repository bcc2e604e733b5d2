import { CATEGORICAL_COVARIATES, type Covariates, NUMERIC_COVARIATES } from './covariates.js';

/**
 * The most columns a design holds: the numeric covariates and one indicator per category level
 * (query type, region), in the order they were first seen. Levels beyond it are left out of the
 * adjustment and counted (`droppedLevels`): a design of hundreds of regions would fit noise.
 */
export const MAX_COVARIATE_COLUMNS = 32;

/** The prefix of the post-stratification columns: the query type's levels. */
export const STRATUM_PREFIX = 'queryType=';

/**
 * The columns of a regression design over the covariates of queries: `lengthBucket`,
 * `complexity`, then `queryType=<level>` and `region=<level>` per level seen. A query's row is
 * its numeric covariates (0 when absent) and a 1 in its levels' columns; a query without
 * covariates (a line written before them) is a row of zeros, which the adjustment treats as a
 * stratum of its own.
 */
export class CovariateDesign {
  readonly names: string[] = [...NUMERIC_COVARIATES];
  /** @param maxColumns the most columns it holds (default {@link MAX_COVARIATE_COLUMNS}). */
  constructor(private readonly maxColumns = MAX_COVARIATE_COLUMNS) {}
  private readonly columns = new Map<string, number>(this.names.map((name, at) => [name, at]));
  /** Category levels seen beyond the most columns, left out. */
  droppedLevels = 0;
  private readonly dropped = new Set<string>();

  /** The column of `name`, added when new and there is room; undefined when there is none. */
  columnOf(name: string): number | undefined {
    const known = this.columns.get(name);
    if (known !== undefined || this.dropped.has(name)) return known;
    if (this.names.length >= this.maxColumns) {
      this.dropped.add(name);
      this.droppedLevels += 1;
      return undefined;
    }
    this.columns.set(name, this.names.length);
    this.names.push(name);
    return this.names.length - 1;
  }

  /**
   * Adds one query's row to a unit's column sums (`sums`, grown to the design's width when it
   * is too short: the new array is returned; absent, one is made).
   */
  addRow(sums: Float64Array | undefined, covariates: Covariates): Float64Array {
    let row = sums ?? new Float64Array(this.names.length);
    const add = (column: number | undefined, value: number) => {
      if (column === undefined) return;
      if (column >= row.length) row = grown(row, this.names.length);
      row[column]! += value;
    };
    for (const [at, name] of NUMERIC_COVARIATES.entries()) {
      const value = covariates[name];
      if (value !== undefined) add(at, value);
    }
    for (const name of CATEGORICAL_COVARIATES) {
      const level = covariates[name];
      if (level !== undefined) add(this.columnOf(`${name}=${level}`), 1);
    }
    return row;
  }

  /**
   * Adds a group of one unit's queries that share their levels (a database's `GROUP BY`): as
   * many rows as `group.queries`, whose numeric covariates sum to `group.sums` (absent ones
   * counted as 0) and whose levels are `group.levels` (absent: no indicator).
   */
  addGroup(sums: Float64Array | undefined, group: CovariateGroup): Float64Array {
    let row = sums ?? new Float64Array(this.names.length);
    const add = (column: number | undefined, value: number) => {
      if (column === undefined || value === 0) return;
      if (column >= row.length) row = grown(row, this.names.length);
      row[column]! += value;
    };
    for (const [at, name] of NUMERIC_COVARIATES.entries()) add(at, group.sums[name] ?? 0);
    for (const name of CATEGORICAL_COVARIATES) {
      const level = group.levels[name];
      if (level !== undefined) add(this.columnOf(`${name}=${level}`), group.queries);
    }
    return row;
  }
}

/** Queries of one unit that share their categorical covariates, with their numeric ones summed. */
export interface CovariateGroup {
  /** How many queries. */
  queries: number;
  /** Their levels (absent: the queries gave none). */
  levels: Partial<Record<(typeof CATEGORICAL_COVARIATES)[number], string>>;
  /** The sums of their numeric covariates (absent values count as 0). */
  sums: Partial<Record<(typeof NUMERIC_COVARIATES)[number], number>>;
}

/** A copy of `row` widened to `width` (new columns 0). */
export function grown(row: Float64Array, width: number): Float64Array {
  const wider = new Float64Array(Math.max(width, row.length));
  wider.set(row);
  return wider;
}
