import type { UnitCovariatesState } from './covariate-design.js';
import type { TailFoldState } from './tail-values.js';

/** An accumulator's state as plain data (typed arrays and strings), for worker threads. */
export interface AccumulatorState {
  requests: Float64Array[];
  counts: EventCounts;
  firstTime: number;
  lastTime: number;
  keys: string[];
  arms: Int8Array;
  exposed: Int8Array;
  exposures: number;
  sums: Float64Array;
  covariates: UnitCovariatesState;
  /** The tail metrics' values with their users. */
  tails: TailFoldState;
}

/** What the accumulator could not use, by reason. */
export interface EventCounts {
  /** Events of either arm. */
  analyzed: number;
  /** Cohort `control`: outside the experiment. */
  outsideExperiment: number;
  /** Events with neither `unit` nor `userId` (usable at the request unit only). */
  withoutUnit: number;
}
