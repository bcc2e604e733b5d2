import type { RollbackTriggerSettings } from '../config/types.js';
import { type Outcome, responseSecondsOf } from '../metrics/index.js';
import { EPSILON, RingBuffer } from './ring-buffer.js';

/** What can roll a rollout back. */
export const ROLLBACK_TRIGGERS = [
  'error_rate',
  'quality',
  'response_time',
  'circuit_breaker',
  'manual',
] as const;
/** What rolled a rollout back. */
export type RollbackTrigger = (typeof ROLLBACK_TRIGGERS)[number];

/** A trigger that fired, and why in words. */
export interface TriggerFiring {
  trigger: Exclude<RollbackTrigger, 'manual'>;
  reason: string;
}

/**
 * Watches the candidate's recent outcomes (the last `window_size`) against the rollback
 * triggers. A trigger fires once the window holds `min_samples` outcomes (of the kind it reads)
 * and its figure is past the threshold (strictly). After firing, the monitor is disarmed until
 * the rollout is raised again ({@link rearm}), so one incident is one rollback.
 */
export class RollbackMonitor {
  private failures: RingBuffer;
  private slow: RingBuffer;
  private qualities: RingBuffer;
  private armed = true;

  constructor(private settings: RollbackTriggerSettings) {
    this.failures = new RingBuffer(settings.window_size);
    this.slow = new RingBuffer(settings.window_size);
    this.qualities = new RingBuffer(settings.window_size);
  }

  /** Takes new settings; a changed window size or latency threshold starts an empty window. */
  configure(settings: RollbackTriggerSettings): void {
    const previous = this.settings;
    this.settings = settings;
    if (
      previous.window_size !== settings.window_size ||
      previous.response_time_seconds !== settings.response_time_seconds
    ) {
      this.failures = new RingBuffer(settings.window_size);
      this.slow = new RingBuffer(settings.window_size);
      this.qualities = new RingBuffer(settings.window_size);
    }
  }

  /** Whether a trigger may fire (not already fired since the last rearm). */
  get isArmed(): boolean {
    return this.armed;
  }

  /** Takes a candidate outcome into the windows; returns the trigger that fires, if one does. */
  observe(outcome: Outcome): TriggerFiring | null {
    this.failures.push(outcome.success ? 0 : 1);
    const seconds = responseSecondsOf(outcome);
    if (seconds !== undefined) {
      this.slow.push(seconds > this.settings.response_time_seconds ? 1 : 0);
    }
    if (outcome.quality !== undefined) this.qualities.push(outcome.quality);
    return this.check();
  }

  /** The breaker opened; returns the firing when that trigger is on. */
  breakerOpened(): TriggerFiring | null {
    if (!this.armed || !this.settings.enabled || !this.settings.on_circuit_breaker_open)
      return null;
    return this.fire({ trigger: 'circuit_breaker', reason: 'the circuit breaker opened' });
  }

  /** Arms the triggers again with empty windows (the rollout was raised after a rollback). */
  rearm(): void {
    this.armed = true;
    this.failures.clear();
    this.slow.clear();
    this.qualities.clear();
  }

  private check(): TriggerFiring | null {
    if (!this.armed || !this.settings.enabled) return null;
    const { min_samples: minimum } = this.settings;
    if (this.failures.size >= minimum) {
      const rate = this.failures.sum / this.failures.size;
      if (rate > this.settings.error_rate + EPSILON) {
        return this.fire({
          trigger: 'error_rate',
          reason: `candidate error rate ${rate.toFixed(4)} over ${this.failures.size} calls is above ${this.settings.error_rate}`,
        });
      }
    }
    if (this.qualities.size >= minimum) {
      const average = this.qualities.sum / this.qualities.size;
      if (average < this.settings.min_quality - EPSILON) {
        return this.fire({
          trigger: 'quality',
          reason: `average candidate quality ${average.toFixed(4)} over ${this.qualities.size} calls is below ${this.settings.min_quality}`,
        });
      }
    }
    if (this.slow.size >= minimum) {
      // Nearest-rank p95 is above the threshold exactly when more than the top 5 % are slow.
      const n = this.slow.size;
      if (this.slow.sum >= n - Math.ceil(0.95 * n) + 1) {
        return this.fire({
          trigger: 'response_time',
          reason: `p95 candidate response time over ${n} calls is above ${this.settings.response_time_seconds} s (${this.slow.sum} slow calls)`,
        });
      }
    }
    return null;
  }

  private fire(firing: TriggerFiring): TriggerFiring {
    this.armed = false;
    return firing;
  }
}
