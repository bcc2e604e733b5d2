import type { Clock } from '../clock.js';
import type { EnvironmentSettings } from '../config/types.js';
import { EPSILON, RingBuffer } from './ring-buffer.js';

/** The states of the circuit breaker. */
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
/** A state of the circuit breaker. */
export type BreakerState = (typeof BREAKER_STATES)[number];

/** A change of the breaker's state. */
export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  reason: string;
  at: number;
}

/**
 * How an outcome relates to the breaker's trials: `untied` (the guide's `record_success`, no
 * decision given), or tied to a decision that took trial slot `trial` of a half-open period
 * (null when it took none).
 */
export type OutcomeTie = { kind: 'untied' } | { kind: 'decision'; trial: number | null };

const UNTIED: OutcomeTie = { kind: 'untied' };

/** The breaker's counters, in the guide's names. */
export interface BreakerSnapshot {
  state: BreakerState;
  is_open: boolean;
  /** Consecutive candidate failures (consecutive mode) or failures in the window (rate mode). */
  failure_count: number;
  success_rate: number;
  total_requests: number;
  mode: 'consecutive' | 'rate';
  opened_at: string | null;
  /** When an open breaker lets trial requests through. */
  half_open_at: string | null;
}

/** The settings the breaker reads, taken from the environment on each (re)load. */
export type BreakerSettings = Pick<
  EnvironmentSettings,
  | 'enable_circuit_breaker'
  | 'circuit_breaker_threshold'
  | 'circuit_breaker_recovery_timeout'
  | 'circuit_breaker_half_open_trials'
  | 'circuit_breaker_mode'
  | 'circuit_breaker_rate'
> & { slow_call_seconds: number };

/**
 * Guards the candidate. Consecutive mode opens after `threshold` failures in a row (a success
 * resets the count to 0); rate mode opens when the failure share of a sliding window of calls
 * passes `failure_rate` once it holds `minimum_calls`. Open, it refuses the candidate until
 * `recovery_timeout` has passed, then half-opens and admits `half_open_trials` trial requests:
 * a trial success closes it, a trial failure re-opens it and restarts the timer.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private halfOpenedAt = 0;
  private trialsAdmitted = 0;
  /** Trials admitted whose outcome has not come back. */
  private trialsOutstanding = 0;
  /** Numbers the half-open periods, so that an outcome of an older trial is recognised. */
  private generation = 0;
  private totalRequests = 0;
  private successes = 0;
  private window: RingBuffer;

  constructor(
    private settings: BreakerSettings,
    private readonly clock: Clock,
    private readonly onTransition: (transition: BreakerTransition) => void,
  ) {
    this.window = new RingBuffer(settings.circuit_breaker_rate.window_size);
  }

  /** Takes new settings after a reload; the state and counters carry over. */
  configure(settings: BreakerSettings): void {
    this.settings = settings;
    if (settings.circuit_breaker_rate.window_size !== this.window.capacity) {
      this.window = new RingBuffer(settings.circuit_breaker_rate.window_size);
    }
    if (!settings.enable_circuit_breaker && this.current !== 'closed') {
      this.transition('closed', 'circuit breaker disabled by configuration');
    }
  }

  /** The state now; an open breaker whose timeout has passed is half-open. */
  state(): BreakerState {
    if (this.current === 'open') {
      const now = this.clock.now();
      if (now - this.openedAt >= this.settings.circuit_breaker_recovery_timeout * 1000) {
        this.transition('half_open', 'recovery timeout elapsed; admitting trial requests');
      }
    } else if (this.current === 'half_open') {
      // Trials whose outcome never came back would hold the breaker half-open forever.
      const now = this.clock.now();
      if (now - this.halfOpenedAt >= this.settings.circuit_breaker_recovery_timeout * 1000) {
        this.halfOpenedAt = now;
        this.trialsAdmitted = 0;
        this.trialsOutstanding = 0;
        this.generation += 1;
      }
    }
    return this.current;
  }

  /** Whether a request may go to the candidate now, without taking a trial slot. */
  allowsCandidate(): boolean {
    const state = this.state();
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.trialsAdmitted < this.settings.circuit_breaker_half_open_trials;
  }

  /** Takes the permission to send one request to the candidate (a trial slot when half-open). */
  acquire(): boolean {
    return this.admit() !== false;
  }

  /**
   * Like {@link acquire}: `false` when refused, `true` when closed, or, when half-open, the
   * number of the trial period whose slot was taken (the decision carries it, so that its
   * outcome is known as a trial's).
   */
  admit(): boolean | number {
    if (!this.allowsCandidate()) return false;
    if (this.current !== 'half_open') return true;
    this.trialsAdmitted += 1;
    this.trialsOutstanding += 1;
    return this.generation;
  }

  /**
   * Records a candidate success. When half-open, only a trial's outcome closes the breaker: one
   * tied to a decision that took a slot of this period, or an untied one while a trial's
   * outcome is still outstanding. A stale success of an older request changes nothing.
   */
  recordSuccess(responseTimeSeconds?: number, tie: OutcomeTie = UNTIED): void {
    if (
      this.settings.circuit_breaker_rate.slow_call_is_failure &&
      responseTimeSeconds !== undefined &&
      responseTimeSeconds > this.settings.slow_call_seconds
    ) {
      this.recordFailure(`slow call (${responseTimeSeconds}s)`, tie);
      return;
    }
    this.totalRequests += 1;
    this.successes += 1;
    this.consecutiveFailures = 0;
    this.pushWindow(false);
    if (this.state() === 'half_open' && this.isTrialOutcome(tie)) {
      this.transition('closed', 'trial request succeeded');
    }
  }

  /** Records a candidate failure; when half-open, only a trial's failure re-opens the breaker. */
  recordFailure(cause = 'candidate failure', tie: OutcomeTie = UNTIED): void {
    this.totalRequests += 1;
    this.consecutiveFailures += 1;
    this.pushWindow(true);
    if (!this.settings.enable_circuit_breaker) return;
    const state = this.state();
    if (state === 'half_open') {
      if (this.isTrialOutcome(tie)) this.transition('open', `trial request failed (${cause})`);
      return;
    }
    if (state !== 'closed') return;
    if (this.settings.circuit_breaker_mode === 'consecutive') {
      if (this.consecutiveFailures >= this.settings.circuit_breaker_threshold) {
        this.transition(
          'open',
          `${this.consecutiveFailures} consecutive failures (threshold ${this.settings.circuit_breaker_threshold})`,
        );
      }
      return;
    }
    const rate = this.settings.circuit_breaker_rate;
    const calls = this.window.size;
    const failureRate = this.window.sum / calls;
    if (calls >= rate.minimum_calls && failureRate > rate.failure_rate + EPSILON) {
      this.transition(
        'open',
        `failure rate ${failureRate.toFixed(3)} over ${calls} calls exceeds ${rate.failure_rate}`,
      );
    }
  }

  /** Whether an outcome arriving while half-open is a trial's, consuming that trial. */
  private isTrialOutcome(tie: OutcomeTie): boolean {
    if (tie.kind === 'decision') {
      if (tie.trial !== this.generation) return false;
    } else if (this.trialsOutstanding === 0) {
      return false;
    }
    this.trialsOutstanding = Math.max(0, this.trialsOutstanding - 1);
    return true;
  }

  /** Closes the breaker and clears its failure counts, by hand. */
  reset(reason = 'reset by operator'): void {
    this.consecutiveFailures = 0;
    this.window.clear();
    if (this.current !== 'closed') this.transition('closed', reason);
  }

  /** The counters in the guide's shape. */
  snapshot(): BreakerSnapshot {
    const state = this.state();
    const timeoutMs = this.settings.circuit_breaker_recovery_timeout * 1000;
    return {
      state,
      is_open: state === 'open',
      failure_count:
        this.settings.circuit_breaker_mode === 'rate' ? this.window.sum : this.consecutiveFailures,
      success_rate: this.totalRequests === 0 ? 1 : this.successes / this.totalRequests,
      total_requests: this.totalRequests,
      mode: this.settings.circuit_breaker_mode,
      opened_at: state === 'closed' ? null : new Date(this.openedAt).toISOString(),
      half_open_at: state === 'open' ? new Date(this.openedAt + timeoutMs).toISOString() : null,
    };
  }

  private pushWindow(failed: boolean): void {
    this.window.push(failed ? 1 : 0);
  }

  private transition(to: BreakerState, reason: string): void {
    const from = this.current;
    if (from === to) return;
    const at = this.clock.now();
    this.current = to;
    if (to === 'open') {
      this.openedAt = at;
      this.window.clear();
    }
    if (to === 'half_open') {
      this.halfOpenedAt = at;
      this.trialsAdmitted = 0;
      this.trialsOutstanding = 0;
      this.generation += 1;
    }
    if (to === 'closed') this.consecutiveFailures = 0;
    this.onTransition({ from, to, reason, at });
  }
}
