import { CovariateDesign, type CovariateGroup, type Covariates, grown } from '../metrics/index.js';

/** {@link UnitCovariates} as plain data, for worker threads: rows of the design's width. */
export interface UnitCovariatesState {
  names: string[];
  droppedLevels: number;
  keys: string[];
  /** keys.length rows of names.length column sums. */
  rows: Float64Array;
}

/**
 * Each unit's covariate column sums over its queries, in one design. Kept beside the units'
 * outcome sums and only for units whose lines carry covariates (the others are rows of zeros).
 */
export class UnitCovariates {
  readonly design = new CovariateDesign();
  private readonly rows = new Map<string, Float64Array>();

  /** Adds one query of unit `key`. */
  add(key: string, covariates: Covariates): void {
    this.rows.set(key, this.design.addRow(this.rows.get(key), covariates));
  }

  /** Adds a group of unit `key`'s queries summed elsewhere (see {@link CovariateDesign.addGroup}). */
  addGroup(key: string, group: CovariateGroup): void {
    this.rows.set(key, this.design.addGroup(this.rows.get(key), group));
  }

  /** The unit's column sums (shorter than the design when later columns are 0), if any. */
  of(key: string): Float64Array | undefined {
    return this.rows.get(key);
  }

  /** Whether any unit has covariates. */
  get any(): boolean {
    return this.rows.size > 0;
  }

  /** Everything kept, as plain data (see {@link merge}). */
  exportState(): UnitCovariatesState {
    const width = this.design.names.length;
    const keys = [...this.rows.keys()];
    const rows = new Float64Array(keys.length * width);
    for (const [at, key] of keys.entries()) rows.set(this.rows.get(key)!, at * width);
    return { names: [...this.design.names], droppedLevels: this.design.droppedLevels, keys, rows };
  }

  /** Adds what another instance kept: its columns matched to these by name. */
  merge(state: UnitCovariatesState): void {
    const width = state.names.length;
    const columns = state.names.map((name) => this.design.columnOf(name));
    this.design.droppedLevels += state.droppedLevels;
    for (const [at, key] of state.keys.entries()) {
      let row = this.rows.get(key) ?? new Float64Array(this.design.names.length);
      if (row.length < this.design.names.length) row = grown(row, this.design.names.length);
      for (let j = 0; j < width; j += 1) {
        const column = columns[j];
        if (column !== undefined) row[column]! += state.rows[at * width + j]!;
      }
      this.rows.set(key, row);
    }
  }
}
