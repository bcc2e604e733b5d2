import { FlagrouteError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import type { AnalysisUnit } from './experiment-data.js';

/** Options of `analyzeExperiment`; every one has a default. */
export interface ExperimentOptions {
  /** Two-sided significance level, in (0, 0.5). Default 0.05. */
  alpha?: number;
  /** The metric that decides the winner. Default `quality_score`. */
  primary?: OutcomeMetric;
  /** Metrics the winner must not be significantly worse on. Default: the other four. */
  guardrails?: readonly OutcomeMetric[];
  /**
   * How much worse than the loser, relative to the baseline's mean, a guardrail may be before it
   * blocks a winner: blocked when the whole (1 - alpha) interval of the relative lift is worse
   * than this. Default 0.05 (5 %).
   */
  guardrailTolerance?: number;
  /** N* of the sequential interval. Default 5000. */
  sequentialTuning?: number;
  /** The sample-ratio test's p-value below which the split is a mismatch. Default 0.001. */
  srmThreshold?: number;
  /** Expected share of units in the treatment arm. Default 0.5. */
  treatmentShare?: number;
  /** Unit of analysis for events; default `user` when every event carries a unit or user id. */
  unit?: AnalysisUnit;
}

/** The options of an analysis, checked, with every default filled in. */
export interface ExperimentSettings {
  alpha: number;
  primary: OutcomeMetric;
  guardrails: OutcomeMetric[];
  guardrailTolerance: number;
  sequentialTuning: number;
  srmThreshold: number;
  treatmentShare: number;
}

function invalid(message: string): never {
  throw new FlagrouteError('INVALID_ARGUMENT', message);
}

/** Checks the options (`INVALID_ARGUMENT` naming the first bad one) and fills in the defaults. */
export function settingsOf(options: ExperimentOptions): ExperimentSettings {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5)) invalid(`alpha must be above 0 and below 0.5, got ${alpha}`);
  const primary = options.primary ?? 'quality_score';
  if (!OUTCOME_METRICS.includes(primary)) {
    invalid(`the primary metric must be one of ${OUTCOME_METRICS.join(', ')}, got "${primary}"`);
  }
  const guardrails = [...(options.guardrails ?? OUTCOME_METRICS.filter((m) => m !== primary))];
  for (const metric of guardrails) {
    if (!OUTCOME_METRICS.includes(metric)) {
      invalid(`a guardrail must be one of ${OUTCOME_METRICS.join(', ')}, got "${metric}"`);
    }
    if (metric === primary)
      invalid(`${metric} is the primary metric; it cannot be a guardrail too`);
  }
  const guardrailTolerance = options.guardrailTolerance ?? 0.05;
  if (!(guardrailTolerance >= 0)) {
    invalid(`the guardrail tolerance must be 0 or more, got ${guardrailTolerance}`);
  }
  const sequentialTuning = options.sequentialTuning ?? 5000;
  if (!(sequentialTuning > 0))
    invalid(`the sequential tuning N* must be above 0, got ${sequentialTuning}`);
  const srmThreshold = options.srmThreshold ?? 0.001;
  if (!(srmThreshold > 0 && srmThreshold < 1)) {
    invalid(`the sample-ratio threshold must be between 0 and 1, got ${srmThreshold}`);
  }
  const treatmentShare = options.treatmentShare ?? 0.5;
  if (!(treatmentShare > 0 && treatmentShare < 1)) {
    invalid(`the treatment's expected share must be between 0 and 1, got ${treatmentShare}`);
  }
  return {
    alpha,
    primary,
    guardrails,
    guardrailTolerance,
    sequentialTuning,
    srmThreshold,
    treatmentShare,
  };
}
