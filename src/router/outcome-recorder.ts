import type { Clock } from '../clock.js';
import { CANDIDATE, type EnvironmentSettings } from '../config/types.js';
import { responseSecondsOf } from '../metrics/index.js';
import {
  addShadowParts,
  type ExposureEvent,
  type OutcomeOrigin,
  type OutcomeRecording,
  type OutcomeSink,
  outcomeEventOf,
  PerformanceTracker,
  type RecordedOutcome,
  type RecordOptions,
  type TiedOutcome,
} from '../outcomes/index.js';
import { type BreakerTransition, CircuitBreaker } from '../safety/circuit-breaker.js';
import { type GateTransition, QualityGate } from '../safety/quality-gate.js';
import { RollbackMonitor, type TriggerFiring } from '../safety/rollback-monitor.js';
import { ShadowBudget } from '../safety/shadow-budget.js';

/** What the recorder tells its owner. */
export interface OutcomeHooks {
  breaker(transition: BreakerTransition): void;
  qualityGate(transition: GateTransition): void;
  /**
   * A rollback trigger fired. `persist` is false once anonymous outcomes have fed the safety
   * state: a rollback they may have caused stays in this process.
   */
  trigger(firing: TriggerFiring, persist: boolean): void;
  /** Every outcome recorded, after the safety state, the figures and the sinks have it. */
  recorded(outcome: RecordedOutcome): void;
}

/** What the recorder reads of the router at each outcome. */
export interface RecorderHost {
  /** The settings in force. */
  settings(): Readonly<EnvironmentSettings>;
  /** The version of the configuration serving. */
  configVersion(): string;
}

/**
 * Where every tied outcome is recorded: the figures per backend and cohort, the safety state it
 * feeds (breaker, quality gate, rollback triggers) and the sinks (the outcome event log). It
 * outlives reloads; `configure` hands it each new configuration.
 */
export class OutcomeRecorder implements OutcomeRecording {
  readonly breaker: CircuitBreaker;
  readonly gate: QualityGate;
  readonly tracker: PerformanceTracker;
  readonly rollbacks: RollbackMonitor;
  /** The process's budget of shadow calls (decisions take from it; outcomes never do). */
  readonly shadowBudget: ShadowBudget;
  private readonly sinks = new Set<OutcomeSink>();
  private anonymousFed = false;

  constructor(
    settings: Readonly<EnvironmentSettings>,
    private readonly clock: Clock,
    private readonly hooks: OutcomeHooks,
    private readonly host: RecorderHost,
  ) {
    this.tracker = new PerformanceTracker(clock);
    this.rollbacks = new RollbackMonitor(settings.rollback_triggers);
    this.breaker = new CircuitBreaker(breakerSettings(settings), clock, (transition) => {
      hooks.breaker(transition);
      if (transition.to === 'open') {
        const firing = this.rollbacks.breakerOpened();
        if (firing) hooks.trigger(firing, !this.anonymousFed);
      }
    });
    this.gate = new QualityGate(settings, clock, hooks.qualityGate);
    this.shadowBudget = new ShadowBudget(clock, settings.shadow.max_per_second);
  }

  configure(settings: Readonly<EnvironmentSettings>): void {
    this.breaker.configure(breakerSettings(settings));
    this.gate.configure(settings);
    this.rollbacks.configure(settings.rollback_triggers);
    this.shadowBudget.configure(settings.shadow.max_per_second);
  }

  /**
   * Whether an anonymous outcome has been recorded since start. From then on the breaker and
   * the triggers may hold what anyone reported, so no rollback they fire is written to the
   * environment file (it engages in this process only): the process, not the fleet, pays for
   * what an anonymous client sends.
   */
  get anonymousOutcomesSeen(): boolean {
    return this.anonymousFed;
  }

  /** Now, on the router's clock (for outcomes written to a store before they are recorded). */
  now(): number {
    return this.clock.now();
  }

  /** The configuration version serving. */
  configVersion(): string {
    return this.host.configVersion();
  }

  /**
   * Whether every sink can take `count` more events now; false while one is too far behind
   * (the caller refuses the outcomes rather than record what the sink would drop).
   */
  admits(count: number): boolean {
    for (const sink of this.sinks) if (sink.admits && !sink.admits(count)) return false;
    return true;
  }

  /** Resolves once every sink has put away the events handed to it so far (see `OutcomeSink.flushed`). */
  async flushed(): Promise<void> {
    for (const sink of this.sinks) if (sink.flushed) await sink.flushed();
  }

  /** The salt in force, which turns a user id into its pseudonymous unit. */
  get unitSalt(): string {
    return this.host.settings().user_hash_salt;
  }

  /** Writes every outcome with a cohort to `sink` from now on; returns the detach function. */
  /** Whether any sink keeps exposure records (so that deciding need not make them). */
  get keepsExposures(): boolean {
    for (const sink of this.sinks) if (sink.writeExposure) return true;
    return false;
  }

  /** Hands an exposure record to every sink that keeps them. */
  writeExposure(event: ExposureEvent): void {
    for (const sink of this.sinks) sink.writeExposure?.(event);
  }

  addSink(sink: OutcomeSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /**
   * Records one tied outcome: into the figures; a candidate's also into the breaker, the
   * quality gate (when quality metrics are on) and the rollback triggers (when the rollout is
   * above 0); then to every sink as an event line, and to the `recorded` hook. An `anonymous`
   * one marks this process's safety state as fed by anyone (see {@link anonymousOutcomesSeen}).
   */
  record(tied: TiedOutcome, origin: OutcomeOrigin = 'trusted', options: RecordOptions = {}): void {
    if (origin === 'anonymous') this.anonymousFed = true;
    const settings = this.host.settings();
    const { backend, cohort, outcome } = tied;
    this.tracker.add(backend, cohort, outcome, tied.covariates);
    if (backend === CANDIDATE) this.feedSafety(tied, settings);
    const recorded: RecordedOutcome = {
      backend,
      cohort,
      outcome,
      time: options.time ?? this.clock.now(),
      configVersion: this.host.configVersion(),
    };
    if (tied.unit !== undefined) recorded.unit = tied.unit;
    if (tied.decisionId !== undefined) recorded.decisionId = tied.decisionId;
    if (tied.covariates !== undefined) recorded.covariates = tied.covariates;
    addShadowParts(recorded, tied);
    if (this.sinks.size > 0) {
      const line = outcomeEventOf(recorded);
      if (line) for (const sink of this.sinks) if (sink !== options.keptBy) sink.write(line);
    }
    this.hooks.recorded(recorded);
  }

  private feedSafety({ outcome, tie }: TiedOutcome, settings: Readonly<EnvironmentSettings>) {
    if (outcome.success) this.breaker.recordSuccess(responseSecondsOf(outcome), tie);
    else this.breaker.recordFailure('candidate failure', tie);
    if (outcome.quality !== undefined && settings.enable_quality_metrics)
      this.gate.record(outcome.quality);
    if (settings.rollout_percentage > 0) {
      const firing = this.rollbacks.observe(outcome);
      if (firing) this.hooks.trigger(firing, !this.anonymousFed);
    }
  }
}

function breakerSettings(settings: Readonly<EnvironmentSettings>) {
  return { ...settings, slow_call_seconds: settings.rollback_triggers.response_time_seconds };
}
