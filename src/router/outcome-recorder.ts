import type { Clock } from '../clock.js';
import { type Backend, CANDIDATE, type EnvironmentSettings } from '../config/types.js';
import type { OutcomeSample } from '../metrics/outcome-stats.js';
import { PerformanceTracker } from '../metrics/performance-tracker.js';
import type { Cohort } from '../routing/types.js';
import {
  type BreakerTransition,
  CircuitBreaker,
  type OutcomeTie,
} from '../safety/circuit-breaker.js';
import { type GateTransition, QualityGate } from '../safety/quality-gate.js';
import { RollbackMonitor, type TriggerFiring } from '../safety/rollback-monitor.js';

/** What the recorder tells its owner. */
export interface OutcomeHooks {
  breaker(transition: BreakerTransition): void;
  qualityGate(transition: GateTransition): void;
  trigger(firing: TriggerFiring): void;
}

/**
 * The safety state fed by outcomes: breaker, quality gate, rollback triggers and performance
 * figures. It outlives reloads; `configure` hands it each new configuration.
 */
export class OutcomeRecorder {
  readonly breaker: CircuitBreaker;
  readonly gate: QualityGate;
  readonly tracker: PerformanceTracker;
  readonly rollbacks: RollbackMonitor;

  constructor(settings: Readonly<EnvironmentSettings>, clock: Clock, hooks: OutcomeHooks) {
    this.tracker = new PerformanceTracker(clock);
    this.rollbacks = new RollbackMonitor(settings.rollback_triggers);
    this.breaker = new CircuitBreaker(breakerSettings(settings), clock, (transition) => {
      hooks.breaker(transition);
      if (transition.to === 'open') {
        const firing = this.rollbacks.breakerOpened();
        if (firing) hooks.trigger(firing);
      }
    });
    this.gate = new QualityGate(settings, clock, hooks.qualityGate);
    this.hooks = hooks;
  }

  private readonly hooks: OutcomeHooks;

  configure(settings: Readonly<EnvironmentSettings>): void {
    this.breaker.configure(breakerSettings(settings));
    this.gate.configure(settings);
    this.rollbacks.configure(settings.rollback_triggers);
  }

  /**
   * Records one checked outcome. Candidate outcomes also feed the breaker, the quality gate
   * (when quality metrics are on) and the rollback triggers (when the rollout is above 0).
   */
  record(
    backend: Backend,
    cohort: Cohort | null,
    sample: OutcomeSample,
    settings: Readonly<EnvironmentSettings>,
    tie: OutcomeTie,
  ): void {
    this.tracker.record(backend, cohort, sample);
    if (backend !== CANDIDATE) return;
    if (sample.success) this.breaker.recordSuccess(sample.latencySeconds, tie);
    else this.breaker.recordFailure('candidate failure', tie);
    if (sample.quality !== undefined && settings.enable_quality_metrics)
      this.gate.record(sample.quality);
    if (settings.rollout_percentage > 0) {
      const firing = this.rollbacks.record(sample);
      if (firing) this.hooks.trigger(firing);
    }
  }
}

function breakerSettings(settings: Readonly<EnvironmentSettings>) {
  return { ...settings, slow_call_seconds: settings.rollback_triggers.response_time_seconds };
}
