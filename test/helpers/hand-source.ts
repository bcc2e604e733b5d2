import type { Moments, OutcomeMetric } from '../../src/metrics/index.js';
import type { PlanMetrics, PlanMetricsSource } from '../../src/rollout-plan/index.js';

/** Moments of n values with this mean and standard deviation (exactly). */
export function moments(n: number, mean: number, sd: number): Moments {
  return { n, sum: n * mean, sum_of_squares: (n - 1) * sd * sd + n * mean * mean };
}

/** A plan metrics source a test sets by hand: cumulative outcomes of each arm. */
export class HandSource implements PlanMetricsSource {
  readonly name = 'hand';
  private counts = { treatment: 0, baseline: 0 };
  private quality = { treatment: 0.85, baseline: 0.78 };
  private errors = { treatment: 0.01, baseline: 0.01 };
  breakerOpen = false;
  /** When set, reading fails with this message (a source that is down). */
  down: string | undefined;

  /** Adds n outcomes per arm at the current figures. */
  add(n: number): void {
    this.counts.treatment += n;
    this.counts.baseline += n;
  }
  set(arm: 'treatment' | 'baseline', figures: { quality?: number; errors?: number }): void {
    if (figures.quality !== undefined) this.quality[arm] = figures.quality;
    if (figures.errors !== undefined) this.errors[arm] = figures.errors;
  }
  async read(): Promise<PlanMetrics> {
    if (this.down !== undefined) throw new Error(this.down);
    const arm = (which: 'treatment' | 'baseline'): Partial<Record<OutcomeMetric, Moments>> => {
      const n = this.counts[which];
      const p = 1 - this.errors[which];
      return {
        success_rate: moments(n, p, Math.sqrt(p * (1 - p))),
        quality_score: moments(n, this.quality[which], 0.05),
      };
    };
    return {
      arms: { treatment: arm('treatment'), baseline: arm('baseline') },
      breakerOpen: this.breakerOpen,
      p95Seconds: null,
      rollback: null,
    };
  }
}
