import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { type ConfigIssue, formatIssue } from '../config/issues.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Backend, EnvironmentSettings } from '../config/types.js';
import type { OutcomeSample } from '../metrics/outcome-stats.js';
import { normalizeContext, SyncDecisionUnavailableError } from '../routing/context.js';
import { decide, errorDecision, type SafetyView } from '../routing/decide.js';
import { type RoutingSnapshot, withSettings } from '../routing/snapshot.js';
import type { Cohort, Decision, ExplainStep, RoutingContext } from '../routing/types.js';
import type { OutcomeTie } from '../safety/circuit-breaker.js';
import { ConfigWatcher, type WatchOptions } from '../watch/config-watcher.js';
import { diffConfigs } from './config-diff.js';
import { DecisionCounts } from './decision-counts.js';
import type { ChangedKey, RollbackEvent, RouterEvents } from './events.js';
import {
  checkBackend,
  checkNonNegative,
  checkUnit,
  type OutcomeReport,
  sampleOf,
  tiedDecision,
} from './outcome-checks.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { type PerformanceSummary, summarise } from './performance-summary.js';
import { RolloutControl, type RuntimeOverride } from './rollout-control.js';
import { loadSnapshot, type SnapshotSizes, snapshotSizes } from './snapshot-loader.js';

/** What {@link Router.status} reports. */
export interface RouterStatus {
  environment: string;
  configVersion: string;
  loadedAt: string;
  lastReload: { ok: boolean; at: string; errors: ConfigIssue[] };
  rolloutPercentage: number;
  /** Where the effective rollout percentage comes from: the top layer present. */
  rolloutOrigin: string;
  /** Every layer with a say in the rollout, lowest first (see docs/configuration.md). */
  rolloutLayers: {
    file: { value: number; origin: string };
    variable: { value: number; variable: string } | null;
    runtime: RuntimeOverride | null;
    killSwitch: { engaged: boolean; origin: string | null; reason: string | null };
  };
  /** Each region's effective percentage (0 while the rollout is 0), with where it was set. */
  regions: Record<string, { rolloutPercentage: number; configured: number; origin: string }>;
  runtimeOverrides: { rollout_percentage?: RuntimeOverride };
  /** The rollback in force (the kill switch), if any. */
  rollback: RollbackEvent | null;
}

/** A decision with the steps of the tree that led to it. */
export interface Explanation {
  decision: Decision;
  steps: ExplainStep[];
}

/** @internal What {@link createRouter} hands the router. */
export interface RouterInternals extends SnapshotSizes {
  clock: Clock;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether the router created its logger (and so follows `log_level` on reload). */
  ownsLogger: boolean;
  /** How long every file must be still before a reload uses it. */
  stabilityMs: number;
}

/** What {@link Router.reload} found: the changed keys, or the problems that kept the old config. */
export type ReloadOutcome =
  | { ok: true; changedKeys: ChangedKey[] }
  | { ok: false; errors: ConfigIssue[] };

type Listener<K extends keyof RouterEvents> = (event: RouterEvents[K]) => void;

const UNTIED: OutcomeTie = { kind: 'untied' };

/**
 * Routes queries between the candidate and the fallback on one immutable configuration
 * snapshot at a time, and keeps the safety state (breaker, quality gate, rollback triggers,
 * performance figures) across reloads. Create one with `createRouter`.
 */
export class Router {
  private snapshot: RoutingSnapshot;
  private loaded: LoadedConfig;
  private loadedAt: number;
  private lastReload: RouterStatus['lastReload'];
  private readonly rollout: RolloutControl;
  private readonly emitter = new EventEmitter();
  private readonly outcomes: OutcomeRecorder;
  private readonly safety: SafetyView;
  private readonly counts = new DecisionCounts();
  private closed = false;
  private reloading: Promise<unknown> = Promise.resolve();
  private watcher: ConfigWatcher | undefined;

  /** @internal Use `createRouter`. */
  constructor(
    snapshot: RoutingSnapshot,
    private readonly internals: RouterInternals,
    /** The router's pino logger. */
    readonly logger: Logger,
  ) {
    this.snapshot = snapshot;
    this.loaded = snapshot.config;
    this.loadedAt = internals.clock.now();
    this.lastReload = { ok: true, at: this.isoNow(), errors: [] };
    this.rollout = new RolloutControl({
      clock: internals.clock,
      logger,
      loaded: () => this.loaded,
      settings: () => this.snapshot.settings,
      apply: () => this.applySettings(),
      rearmTriggers: () => this.outcomes.rollbacks.rearm(),
      reload: () => this.reload(),
      emit: (event, payload) => this.emit(event, payload),
    });
    this.outcomes = new OutcomeRecorder(snapshot.settings, internals.clock, {
      breaker: (transition) => {
        this.logger.warn(
          { breaker: transition },
          `circuit breaker ${transition.from} -> ${transition.to}: ${transition.reason}`,
        );
        this.emit('breaker', transition);
      },
      qualityGate: (transition) => {
        this.logger.warn(
          { qualityGate: transition },
          `quality gate ${transition.from} -> ${transition.to}: ${transition.reason}`,
        );
        this.emit('qualityGate', transition);
      },
      trigger: (firing) => {
        void this.rollout.rollBack(firing);
      },
    });
    this.safety = {
      breakerAllowsCandidate: () => this.outcomes.breaker.allowsCandidate(),
      acquireCandidate: () => this.outcomes.breaker.admit(),
      qualityGateOpen: () => this.outcomes.gate.isOpen(),
    };
  }

  /** The environment this router serves. */
  get environment(): string {
    return this.loaded.environment;
  }

  /** The settings in force (loaded, with runtime changes). Frozen. */
  get settings(): Readonly<EnvironmentSettings> {
    return this.snapshot.settings;
  }

  /** The loaded configuration, before runtime changes. */
  get config(): LoadedConfig {
    return this.loaded;
  }

  /**
   * Decides where one query goes. Never rejects for a routing problem (an internal error gives
   * the fallback with reason `evaluation_error`); rejects with an `InvalidContextError` when
   * the context itself is malformed.
   */
  decide(context: RoutingContext): Promise<Decision> {
    let valid: RoutingContext;
    try {
      valid = normalizeContext(context);
    } catch (error) {
      return Promise.reject(error);
    }
    const decision = this.decideValid(valid);
    return decision instanceof Promise ? decision : Promise.resolve(decision);
  }

  /**
   * Decides like {@link decide}, synchronously, for callers on a hot path. Available whenever
   * every loaded rule is a shorthand rule or a json-rules-engine rule of plain comparisons
   * ({@link supportsSyncDecisions}); otherwise it throws `SyncDecisionUnavailableError` (code
   * `ASYNC_RULE`) without deciding. Throws `InvalidContextError` for a malformed context.
   */
  decideSync(context: RoutingContext): Decision {
    const valid = normalizeContext(context);
    const asyncRules = this.snapshot.evaluator.asyncRules;
    if (asyncRules.length > 0) throw new SyncDecisionUnavailableError(asyncRules);
    return this.decideValid(valid) as Decision;
  }

  /** Whether {@link decideSync} can decide with the configuration loaded now. */
  get supportsSyncDecisions(): boolean {
    return this.snapshot.evaluator.asyncRules.length === 0;
  }

  /** Decides like {@link decide} and returns each step of the tree and why. */
  async explain(context: RoutingContext): Promise<Explanation> {
    const valid = normalizeContext(context);
    const steps: ExplainStep[] = [];
    const decision = await this.decideValid(valid, steps);
    return { decision, steps };
  }

  private decideValid(
    context: RoutingContext,
    trace?: ExplainStep[],
  ): Decision | Promise<Decision> {
    const snapshot = this.snapshot;
    try {
      const decision = decide(snapshot, this.safety, context, trace);
      return decision instanceof Promise
        ? decision.then(
            (settled) => this.count(snapshot, settled, context),
            (error: unknown) => this.failed(snapshot, error, trace),
          )
        : this.count(snapshot, decision, context);
    } catch (error) {
      return this.failed(snapshot, error, trace);
    }
  }

  private count(snapshot: RoutingSnapshot, decision: Decision, context: RoutingContext): Decision {
    this.counts.add(decision);
    if (snapshot.settings.enable_detailed_logging) {
      this.logger.debug({ decision, context: { ...context, queryText: undefined } }, 'decision');
    }
    return decision;
  }

  private failed(
    snapshot: RoutingSnapshot,
    error: unknown,
    trace: ExplainStep[] | undefined,
  ): Decision {
    this.logger.error({ err: error }, 'evaluation error; routing to the fallback');
    trace?.push({ step: 'error', outcome: 'taken', detail: String(error) });
    const decision = errorDecision(snapshot);
    this.counts.add(decision);
    return decision;
  }

  /**
   * Sets the rollout percentage (0..100), in this process at once (the returned promise is
   * for `persist`). With `persist`, also writes it to the environment file, keeping comments
   * and key order, so that every instance watching the file follows. 0 is an emergency
   * rollback: it engages the kill switch, which beats every layer (a `LIGHTRAG_*` variable
   * too), and with `persist` writes the file's `rollback:` block. A raise that would not take
   * effect is refused: under the file's kill switch without `persist` (`KILL_SWITCH_ENGAGED`),
   * or with `persist` while a variable overrides the file (`SHADOWED_BY_VARIABLE`). A later
   * change of the file's `rollout_percentage` wins over a runtime change.
   */
  async updateRolloutPercentage(
    percentage: number,
    options: { persist?: boolean; reason?: string } = {},
  ): Promise<void> {
    await this.rollout.update(percentage, options);
  }

  /**
   * Lifts the kill switch: the one an emergency rollback or a trigger engaged in this process,
   * and the environment file's `rollback:` block (removed from the file, so every instance
   * follows). The rollout returns to what the layers below say.
   */
  async resumeRollout(options: { reason?: string } = {}): Promise<void> {
    await this.rollout.resume(options);
  }

  /**
   * Records a call to a backend (the guide's `record_success`); seconds, quality in [0, 1].
   * Not tied to a decision: when the breaker is half-open it counts as a trial's outcome only
   * while a trial's outcome is outstanding (see docs/safety.md); prefer `recordOutcome`.
   */
  recordSuccess(backend: Backend, responseTimeSeconds: number, qualityScore?: number): void {
    checkBackend(backend);
    checkNonNegative('responseTimeSeconds', responseTimeSeconds);
    if (qualityScore !== undefined) checkUnit('qualityScore', qualityScore);
    this.record(
      backend,
      null,
      { success: true, latencySeconds: responseTimeSeconds, quality: qualityScore },
      UNTIED,
    );
  }

  /** Records a failed call to a backend (the guide's `record_failure`). */
  recordFailure(backend: Backend, error?: unknown): void {
    checkBackend(backend);
    if (error !== undefined) this.logger.debug({ err: error, backend }, 'backend failure recorded');
    this.record(backend, null, { success: false }, UNTIED);
  }

  /**
   * Records the outcome of the call a decision led to, counted for its backend and cohort. The
   * decision and the outcome are checked whole first: on any problem an `InvalidOutcomeError`
   * (code `INVALID_OUTCOME`) names the field, and nothing is recorded. When the breaker is
   * half-open, only the outcome of a decision that took a trial slot closes or re-opens it.
   */
  recordOutcome(
    decision: Pick<Decision, 'backend' | 'cohort'> & Partial<Pick<Decision, 'breakerTrial'>>,
    outcome: OutcomeReport,
  ): void {
    const { backend, cohort, trial } = tiedDecision(decision);
    const sample = sampleOf(outcome);
    this.record(backend, cohort, sample, { kind: 'decision', trial });
  }

  private record(
    backend: Backend,
    cohort: Cohort | null,
    sample: OutcomeSample,
    tie: OutcomeTie,
  ): void {
    this.outcomes.record(backend, cohort, sample, this.snapshot.settings, tie);
  }

  /** Closes the circuit breaker and clears its counts. */
  resetCircuitBreaker(): void {
    this.outcomes.breaker.reset();
  }

  /**
   * The guide's summary (`circuit_breaker`, `performance` per backend, times in seconds), with
   * per-cohort figures, percentiles, the quality gate, decisions per cohort and reason, the
   * rollout and the configuration.
   */
  getPerformanceSummary(): PerformanceSummary {
    return summarise({
      outcomes: this.outcomes,
      counts: this.counts,
      status: this.status(),
    });
  }

  /**
   * Configuration version, load time, last reload outcome, the effective rollout with every
   * layer behind it (file, variable, runtime, kill switch) and each region's effective share.
   */
  status(): RouterStatus {
    const effective = this.snapshot.settings.rollout_percentage;
    const layers = this.loaded.rolloutLayers;
    const rollback = this.rollout.rollback;
    const origin = this.rollout.origin();
    return {
      environment: this.loaded.environment,
      configVersion: this.loaded.version,
      loadedAt: new Date(this.loadedAt).toISOString(),
      lastReload: this.lastReload,
      rolloutPercentage: effective,
      rolloutOrigin: origin,
      rolloutLayers: {
        file: { ...layers.file },
        variable: layers.variable ? { ...layers.variable } : null,
        runtime: this.rollout.override ?? null,
        killSwitch: {
          engaged: rollback !== null,
          origin: rollback ? origin : null,
          reason: rollback?.reason ?? null,
        },
      },
      regions: Object.fromEntries(
        this.loaded.geographicRouting.map((region) => [
          region.region,
          {
            rolloutPercentage: effective > 0 ? region.rolloutPercentage : 0,
            configured: region.rolloutPercentage,
            origin: region.origin,
          },
        ]),
      ),
      runtimeOverrides: this.rollout.override ? { rollout_percentage: this.rollout.override } : {},
      rollback,
    };
  }

  /**
   * Re-reads every file, validates and builds a new snapshot, then swaps it in whole. On any
   * problem the current configuration keeps serving and the problems are returned.
   */
  reload(): Promise<ReloadOutcome> {
    // One reload at a time, in call order: a slower, older load can never replace a newer one.
    const next = this.reloading.then(() => this.reloadNow());
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const at = this.isoNow();
    const result = await loadSnapshot({
      configDir: this.loaded.configDir,
      environment: this.loaded.environment,
      env: this.internals.env,
      cwd: this.internals.cwd,
      stabilityMs: this.internals.stabilityMs,
      ...snapshotSizes(this.internals),
    });
    if (this.closed) return { ok: false, errors: [] };
    if (!result.ok) {
      this.lastReload = { ok: false, at, errors: result.issues };
      for (const issue of result.issues)
        this.logger.error({ issue }, `reload rejected: ${formatIssue(issue)}`);
      this.emit('reloadError', { errors: result.issues });
      return { ok: false, errors: result.issues };
    }
    const previous = this.loaded;
    const next = result.snapshot;
    if (next.config.version === previous.version && this.lastReload.ok) {
      this.logger.debug({ configVersion: previous.version }, 'configuration unchanged');
      return { ok: true, changedKeys: [] };
    }
    const changedKeys = diffConfigs(previous, next.config);
    this.rollout.reloaded(previous, next.config);
    const asyncRules = next.evaluator.asyncRules;
    if (asyncRules.length > 0 && this.snapshot.evaluator.asyncRules.length === 0) {
      this.logger.warn(
        { rules: asyncRules },
        `decideSync is unavailable from now on: ${asyncRules.join(', ')} need json-rules-engine's async run`,
      );
    }
    this.loaded = next.config;
    this.loadedAt = this.internals.clock.now();
    this.snapshot = next;
    this.applySettings();
    this.lastReload = { ok: true, at, errors: [] };
    const changes = changedKeys.map(
      (change) => `${change.key}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}`,
    );
    this.logger.info(
      { configVersion: next.config.version, previousVersion: previous.version, changedKeys },
      `configuration reloaded (${previous.version} -> ${next.config.version})${changes.length ? `: ${changes.join(', ')}` : ''}`,
    );
    this.emit('reload', {
      configVersion: next.config.version,
      previousVersion: previous.version,
      changedKeys,
    });
    return { ok: true, changedKeys };
  }

  private applySettings(): void {
    const loaded = this.loaded.settings;
    const settings = this.rollout.settingsFrom(loaded);
    this.snapshot = withSettings(
      this.loaded,
      settings,
      this.snapshot.evaluator,
      snapshotSizes(this.internals),
    );
    this.outcomes.configure(settings);
    if (this.internals.ownsLogger) this.logger.level = settings.log_level;
  }

  private isoNow(): string {
    return new Date(this.internals.clock.now()).toISOString();
  }

  /** Subscribes to an event. */
  on<K extends keyof RouterEvents>(event: K, listener: Listener<K>): this {
    this.emitter.on(event, listener);
    return this;
  }

  /** Unsubscribes from an event. */
  off<K extends keyof RouterEvents>(event: K, listener: Listener<K>): this {
    this.emitter.off(event, listener);
    return this;
  }

  private emit<K extends keyof RouterEvents>(event: K, payload: RouterEvents[K]): void {
    this.emitter.emit(event, payload);
  }

  /** @internal Starts hot reload; called by `createRouter`. */
  async watch(options: WatchOptions): Promise<void> {
    this.watcher = new ConfigWatcher(
      this.loaded.configDir,
      async () => {
        await this.reload();
      },
      options,
      this.logger,
    );
    await this.watcher.start();
  }

  /**
   * Releases watchers, timers and caches. Decisions keep working on the last snapshot (uncached).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
    this.emitter.removeAllListeners();
    this.snapshot.release();
  }
}
