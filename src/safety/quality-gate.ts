import { createRequire } from 'node:module';
import type { Clock } from '../clock.js';
import type { EnvironmentSettings } from '../config/types.js';
import { EPSILON, RingBuffer } from './ring-buffer.js';

/**
 * simple-statistics' linear regression, loaded on first use (the gate's status, not its
 * decisions): the library's 160 KB are then not loaded by every command at start.
 */
let linearRegression: typeof import('simple-statistics').linearRegression | undefined;
function slopeOf(scores: readonly number[]): number {
  linearRegression ??= (
    createRequire(import.meta.url)('simple-statistics') as typeof import('simple-statistics')
  ).linearRegression;
  return linearRegression(scores.map((score, index) => [index, score])).m;
}

/** The settings the gate reads. */
export type QualityGateConfig = Pick<
  EnvironmentSettings,
  'enable_quality_metrics' | 'min_quality_threshold' | 'quality_gate'
>;

/** A change of the gate's state. */
export interface GateTransition {
  from: 'open' | 'closed';
  to: 'open' | 'closed';
  reason: string;
  at: number;
}

/** The gate's state and trend. */
export interface QualityGateSnapshot {
  state: 'open' | 'closed';
  samples: number;
  average_quality: number | null;
  threshold: number;
  min_samples: number;
  /** Exponentially weighted moving average of the scores (alpha 0.1). */
  ewma: number | null;
  /** Least-squares slope of the scores over the window, per sample. */
  slope_per_sample: number | null;
  closed_at: string | null;
  reopens_at: string | null;
}

const EWMA_ALPHA = 0.1;

/**
 * Keeps the candidate's recent quality scores. The gate closes once the window holds
 * `min_samples` scores and their average is below the threshold. A closed gate sends no traffic
 * to the candidate and so gets no new scores; after `cooldown_seconds` it re-opens on probation
 * with an empty window, and closes again only on `min_samples` fresh scores.
 */
export class QualityGate {
  private window: RingBuffer;
  private closedAt: number | null = null;
  private ewmaValue: number | null = null;

  constructor(
    private config: QualityGateConfig,
    private readonly clock: Clock,
    private readonly onTransition: (transition: GateTransition) => void,
  ) {
    this.window = new RingBuffer(config.quality_gate.window_size);
  }

  /** Takes new settings after a reload; scores carry over. */
  configure(config: QualityGateConfig): void {
    this.config = config;
    if (config.quality_gate.window_size !== this.window.capacity) {
      const kept = this.window.toArray();
      this.window = new RingBuffer(config.quality_gate.window_size);
      for (const score of kept) this.window.push(score);
    }
    if (!config.enable_quality_metrics) this.open('quality metrics disabled by configuration');
    else this.evaluate();
  }

  /** Whether the candidate may take traffic. */
  isOpen(): boolean {
    if (this.closedAt === null) return true;
    if (this.clock.now() - this.closedAt >= this.config.quality_gate.cooldown_seconds * 1000) {
      this.window.clear();
      this.open('cool-down elapsed; re-opened on probation with an empty window');
      return true;
    }
    return false;
  }

  /** Records one candidate quality score in [0, 1]. */
  record(score: number): void {
    this.window.push(score);
    this.ewmaValue =
      this.ewmaValue === null ? score : EWMA_ALPHA * score + (1 - EWMA_ALPHA) * this.ewmaValue;
    this.evaluate();
  }

  /** Re-opens the gate and clears its window, by hand. */
  reset(reason = 'reset by operator'): void {
    this.window.clear();
    this.open(reason);
  }

  /** State and trend. */
  snapshot(): QualityGateSnapshot {
    const open = this.isOpen();
    const scores = this.window.toArray();
    const slope = scores.length >= 2 ? slopeOf(scores) : null;
    return {
      state: open ? 'open' : 'closed',
      samples: scores.length,
      average_quality: this.window.mean(),
      threshold: this.config.min_quality_threshold,
      min_samples: this.config.quality_gate.min_samples,
      ewma: this.ewmaValue,
      slope_per_sample: slope,
      closed_at: this.closedAt === null ? null : new Date(this.closedAt).toISOString(),
      reopens_at:
        this.closedAt === null
          ? null
          : new Date(
              this.closedAt + this.config.quality_gate.cooldown_seconds * 1000,
            ).toISOString(),
    };
  }

  private evaluate(): void {
    if (!this.config.enable_quality_metrics || this.closedAt !== null) return;
    const average = this.window.mean();
    if (
      average !== null &&
      this.window.size >= this.config.quality_gate.min_samples &&
      average < this.config.min_quality_threshold - EPSILON
    ) {
      this.closedAt = this.clock.now();
      this.onTransition({
        from: 'open',
        to: 'closed',
        reason: `average quality ${average.toFixed(3)} over ${this.window.size} samples is below ${this.config.min_quality_threshold}`,
        at: this.closedAt,
      });
    }
  }

  private open(reason: string): void {
    if (this.closedAt === null) return;
    this.closedAt = null;
    this.onTransition({ from: 'closed', to: 'open', reason, at: this.clock.now() });
  }
}
