import type { OutcomeSample } from './outcome-stats.js';

/** The outcome metrics an experiment compares, each over the outcomes that carry it. */
export const OUTCOME_METRICS = [
  'response_time',
  'success_rate',
  'quality_score',
  'cost_per_query',
  'satisfaction',
] as const;
/** An outcome metric. */
export type OutcomeMetric = (typeof OUTCOME_METRICS)[number];

/**
 * Sufficient statistics of one metric: count, sum and sum of squares. They add exactly across
 * instances and time, so a fleet's mean and variance follow from the sums of its instances.
 */
export interface Moments {
  n: number;
  sum: number;
  sum_of_squares: number;
}

/** One metric's value in a sample, or undefined when the sample does not carry it. */
export function metricValue(metric: OutcomeMetric, sample: OutcomeSample): number | undefined {
  switch (metric) {
    case 'response_time':
      // Failed calls' times are the time to fail, not a response: successful outcomes only.
      return sample.success ? sample.latencySeconds : undefined;
    case 'success_rate':
      return sample.success ? 1 : 0;
    case 'quality_score':
      return sample.quality;
    case 'cost_per_query':
      return sample.costUsd;
    case 'satisfaction':
      return sample.satisfaction;
  }
}

/** Sufficient statistics of every outcome metric for one series (a cohort). */
export class SufficientStats {
  private readonly moments = new Float64Array(OUTCOME_METRICS.length * 3);

  /** Adds one outcome. */
  record(sample: OutcomeSample): void {
    for (const [index, metric] of OUTCOME_METRICS.entries()) {
      const value = metricValue(metric, sample);
      if (value === undefined) continue;
      this.moments[index * 3]! += 1;
      this.moments[index * 3 + 1]! += value;
      this.moments[index * 3 + 2]! += value * value;
    }
  }

  /** Every metric's moments so far. */
  snapshot(): Record<OutcomeMetric, Moments> {
    const result = {} as Record<OutcomeMetric, Moments>;
    for (const [index, metric] of OUTCOME_METRICS.entries()) {
      result[metric] = {
        n: this.moments[index * 3]!,
        sum: this.moments[index * 3 + 1]!,
        sum_of_squares: this.moments[index * 3 + 2]!,
      };
    }
    return result;
  }
}
