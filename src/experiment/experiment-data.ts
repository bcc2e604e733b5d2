import type { ValidateFunction } from 'ajv';
import { validators } from '../config/schemas.js';
import type { OutcomeMetric } from '../metrics/index.js';
import { lineProblem } from '../outcomes/index.js';
import type { Result } from '../result.js';
import type { ArmMoments } from './arm-moments.js';

/** The two arms of the experiment: treatment first. */
export const ARMS = ['lightrag', 'perplexity'] as const;
/** An arm: `lightrag` is the treatment, `perplexity` the baseline. */
export type Arm = (typeof ARMS)[number];

/** The unit of analysis. */
export type AnalysisUnit = 'request' | 'user';

/**
 * Per-arm sufficient statistics of every metric (schemas/experiment-stats.schema.json): what
 * `analyzeExperiment` reads, whether it came from events, Prometheus or a warehouse.
 */
export interface ExperimentStats {
  unit: AnalysisUnit;
  /** Distinct units per arm for the sample-ratio test; absent: events are counted instead. */
  units?: Record<Arm, number>;
  arms: Record<Arm, Partial<Record<OutcomeMetric, ArmMoments>>>;
}

/**
 * A parsed JSON value as experiment statistics, or what is wrong with it (in the terse words of
 * a data file, as the event reader says them). The validator is generated at build time.
 */
export function checkStats(
  value: unknown,
): Result<{ stats: ExperimentStats }, { problem: string }> {
  const validate = validators.experimentStats as ValidateFunction<ExperimentStats>;
  if (validate(value)) return { ok: true, stats: value };
  return { ok: false, problem: lineProblem(validate.errors?.[0], 'the statistics').text };
}
