import type { Clock } from '../../src/clock.js';
import type { Moments, OutcomeMetric } from '../../src/metrics/index.js';
import type { OutcomeEvent } from '../../src/outcomes/index.js';
import type { PlanMetrics, PlanMetricsSource, StageWindow } from '../../src/rollout-plan/index.js';
import { PairedTally } from '../../src/shadow/index.js';

/** Moments of n values with this mean and standard deviation (exactly). */
export function moments(n: number, mean: number, sd: number): Moments {
  return { n, sum: n * mean, sum_of_squares: (n - 1) * sd * sd + n * mean * mean };
}

/** User-level moments of n users with one outcome each (d_i = 1): the same figures per user. */
export function perUser(moments: Moments) {
  return {
    ...moments,
    denominator_sum: moments.n,
    denominator_sum_of_squares: moments.n,
    cross_sum: moments.sum,
  };
}

/**
 * A plan metrics source a test sets by hand: outcomes of each arm, each from its own user, added
 * at the clock's time; a reading for a stage counts the users added from the moment the stage started.
 */
export class HandSource implements PlanMetricsSource {
  readonly name = 'hand';
  private added: { at: number; n: number }[] = [];
  private quality = { treatment: 0.85, baseline: 0.78 };
  private errors = { treatment: 0.01, baseline: 0.01 };
  breakerOpen = false;
  /** When set, reading fails with this message (a source that is down). */
  down: string | undefined;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /**
   * Adds the pairs of `users` new users, `perUser` each, at the clock's time: Perplexity served
   * (quality `perplexity`), LightRAG answered in the shadow (quality `lightrag`, a small spread
   * per query so that the per-user differences vary), every call a success unless `shadowErrors`.
   */
  addPairs(
    users: number,
    perUser: number,
    quality: { lightrag: number; perplexity: number },
    shadowErrors = 0,
  ): void {
    const at = this.clock.now();
    for (let user = 0; user < users; user += 1) {
      const unit = `pair-user-${this.pairUsers++}`;
      for (let query = 0; query < perUser; query += 1) {
        const wobble = (((user * 7 + query * 13) % 11) - 5) / 250;
        const failed = (user * perUser + query) % 100 < shadowErrors * 100;
        this.pairs.push({
          at,
          event: {
            time: new Date(at).toISOString(),
            cohort: 'control',
            backend: 'perplexity',
            success: true,
            unit,
            latencyMs: 1800,
            quality: quality.perplexity + wobble,
            shadow: failed
              ? { success: false, latencyMs: 2300 }
              : { success: true, latencyMs: 2300, quality: quality.lightrag - wobble },
          } as OutcomeEvent,
        });
      }
    }
  }
  private pairs: { at: number; event: OutcomeEvent }[] = [];
  private pairUsers = 0;
  /** When false, readings have no pairs per user (as Prometheus). */
  pairsPerUser = true;

  /** Adds n outcomes (users) per arm at the current figures. */
  add(n: number): void {
    this.added.push({ at: this.clock.now(), n });
  }
  set(arm: 'treatment' | 'baseline', figures: { quality?: number; errors?: number }): void {
    if (figures.quality !== undefined) this.quality[arm] = figures.quality;
    if (figures.errors !== undefined) this.errors[arm] = figures.errors;
  }
  async read(window?: StageWindow): Promise<PlanMetrics> {
    if (this.down !== undefined) throw new Error(this.down);
    let n = 0;
    for (const entry of this.added) if (!window || entry.at >= window.since) n += entry.n;
    const arm = (which: 'treatment' | 'baseline'): Partial<Record<OutcomeMetric, Moments>> => {
      const p = 1 - this.errors[which];
      return {
        success_rate: perUser(moments(n, p, Math.sqrt(p * (1 - p)))),
        quality_score: perUser(moments(n, this.quality[which], 0.05)),
      };
    };
    return {
      unit: 'user',
      arms: { treatment: arm('treatment'), baseline: arm('baseline') },
      breakerOpen: this.breakerOpen,
      p95Seconds: null,
      rollback: null,
      ...(window?.shadow ? { pairs: this.pairsSince(window.since) } : {}),
    };
  }

  private pairsSince(since: number): PairedTally | null {
    if (!this.pairsPerUser) return null;
    const tally = new PairedTally();
    for (const pair of this.pairs) if (pair.at >= since) tally.add(pair.event);
    return tally;
  }
}
