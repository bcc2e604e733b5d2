import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { ConfigError, type ConfigIssue, formatIssue } from '../config/issues.js';
import { DEFAULT_ENVIRONMENT, type LoadedConfig, tryLoadConfig } from '../config/load-config.js';
import type { Backend, EnvironmentSettings } from '../config/types.js';
import { createLogger } from '../logging.js';
import { assertValidContext } from '../routing/context.js';
import { decide, type SafetyView } from '../routing/decide.js';
import { buildSnapshot, type RoutingSnapshot, withSettings } from '../routing/snapshot.js';
import type { Decision, ExplainStep, RoutingContext } from '../routing/types.js';
import { type BreakerSettings, CircuitBreaker } from '../safety/circuit-breaker.js';
import { QualityGate } from '../safety/quality-gate.js';
import { ConfigWatcher, type WatchOptions } from '../watch/config-watcher.js';
import { diffConfigs } from './config-diff.js';
import type { ChangedKey, RouterEvents } from './events.js';

/** Options of {@link createRouter}. */
export interface RouterOptions {
  /** Directory holding `environments/` and `rules/`; default: the working directory. */
  configDir?: string;
  /** Environment to load; default: `FLAGROUTE_ENV`, else `development`. */
  environment?: string;
  /** Variables for the `LIGHTRAG_*` overlay; default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** A pino logger; default: JSON lines on stderr at the configured `log_level`. */
  logger?: Logger;
  /** Time source of the breaker, gate and triggers; default: the wall clock. */
  clock?: Clock;
  /** Base of file paths shown in messages; default: the working directory. */
  cwd?: string;
  /** Entries kept per rule in the outcome memo (0 turns memoising off). */
  ruleMemoSize?: number;
  /** Identifiers whose bucket is kept (0 turns the cache off). */
  bucketCacheSize?: number;
  /** Hot reload: watch the config directory (default `true`), or how to watch it; `false` turns it off. */
  watch?: boolean | WatchOptions;
}

/** A runtime change to a setting, made through the API. */
export interface RuntimeOverride {
  value: number;
  reason: string;
  at: string;
}

/** What {@link Router.status} reports. */
export interface RouterStatus {
  environment: string;
  configVersion: string;
  loadedAt: string;
  lastReload: { ok: boolean; at: string; errors: ConfigIssue[] };
  rolloutPercentage: number;
  runtimeOverrides: { rollout_percentage?: RuntimeOverride };
}

/** A decision with the steps of the tree that led to it. */
export interface Explanation {
  decision: Decision;
  steps: ExplainStep[];
}

type Listener<K extends keyof RouterEvents> = (event: RouterEvents[K]) => void;

/**
 * Routes queries between the candidate and the fallback on one immutable configuration
 * snapshot at a time, and keeps the safety state (breaker, quality gate) across reloads.
 * Create one with {@link createRouter}.
 */
export class Router {
  private snapshot: RoutingSnapshot;
  private loaded: LoadedConfig;
  private loadedAt: number;
  private lastReload: RouterStatus['lastReload'];
  private rolloutOverride: RuntimeOverride | undefined;
  private readonly emitter = new EventEmitter();
  private readonly breaker: CircuitBreaker;
  private readonly gate: QualityGate;
  private readonly safety: SafetyView;
  private closed = false;
  private watcher: ConfigWatcher | undefined;

  /** @internal Use {@link createRouter}. */
  constructor(
    snapshot: RoutingSnapshot,
    private readonly options: Required<Pick<RouterOptions, 'clock' | 'cwd'>> &
      Pick<RouterOptions, 'ruleMemoSize' | 'bucketCacheSize' | 'env' | 'configDir'> & {
        /** Whether the router created its logger (and so follows `log_level` on reload). */
        ownsLogger: boolean;
      },
    /** The router's pino logger. */
    readonly logger: Logger,
  ) {
    this.snapshot = snapshot;
    this.loaded = snapshot.config;
    this.loadedAt = options.clock.now();
    this.lastReload = { ok: true, at: new Date(this.loadedAt).toISOString(), errors: [] };
    const settings = snapshot.settings;
    this.breaker = new CircuitBreaker(breakerSettings(settings), options.clock, (transition) => {
      this.logger.warn(
        { breaker: transition },
        `circuit breaker ${transition.from} -> ${transition.to}: ${transition.reason}`,
      );
      this.emit('breaker', transition);
    });
    this.gate = new QualityGate(settings, options.clock, (transition) => {
      this.logger.warn(
        { qualityGate: transition },
        `quality gate ${transition.from} -> ${transition.to}: ${transition.reason}`,
      );
      this.emit('qualityGate', transition);
    });
    this.safety = {
      breakerAllowsCandidate: () => this.breaker.allowsCandidate(),
      acquireCandidate: () => this.breaker.acquire(),
      qualityGateOpen: () => this.gate.isOpen(),
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
  async decide(context: RoutingContext): Promise<Decision> {
    assertValidContext(context);
    return this.decideValid(context);
  }

  /** Decides like {@link decide} and returns each step of the tree and why. */
  async explain(context: RoutingContext): Promise<Explanation> {
    assertValidContext(context);
    const steps: ExplainStep[] = [];
    const decision = await this.decideValid(context, steps);
    return { decision, steps };
  }

  private async decideValid(context: RoutingContext, trace?: ExplainStep[]): Promise<Decision> {
    const snapshot = this.snapshot;
    try {
      const decision = await decide(snapshot, this.safety, context, trace);
      if (snapshot.settings.enable_detailed_logging) {
        this.logger.debug({ decision, context: { ...context, queryText: undefined } }, 'decision');
      }
      return decision;
    } catch (error) {
      this.logger.error({ err: error }, 'evaluation error; routing to the fallback');
      trace?.push({ step: 'error', outcome: 'taken', detail: String(error) });
      return {
        backend: 'perplexity',
        reason: 'evaluation_error',
        cohort: null,
        bucket: null,
        rolloutPercentage: snapshot.settings.rollout_percentage,
        rules: [],
        environment: snapshot.config.environment,
        configVersion: snapshot.config.version,
        elapsedMs: 0,
      };
    }
  }

  /**
   * Sets the rollout percentage of this process (0..100), effective from the next decision.
   * A later change of `rollout_percentage` in the environment file wins over it.
   */
  updateRolloutPercentage(percentage: number, options: { reason?: string } = {}): void {
    if (
      typeof percentage !== 'number' ||
      !Number.isFinite(percentage) ||
      percentage < 0 ||
      percentage > 100
    ) {
      throw new RangeError(
        `rollout percentage must be a number from 0 to 100, got ${String(percentage)}`,
      );
    }
    const from = this.snapshot.settings.rollout_percentage;
    const reason = options.reason ?? 'set through the API';
    this.rolloutOverride = {
      value: percentage,
      reason,
      at: new Date(this.options.clock.now()).toISOString(),
    };
    this.applySettings();
    this.logger.info(
      { from, to: percentage, reason },
      `rollout percentage ${from} -> ${percentage}`,
    );
    this.emit('rolloutChange', { from, to: percentage, reason, persisted: false });
  }

  /** Records a successful call to a backend (the guide's `record_success`). */
  recordSuccess(backend: Backend, responseTimeSeconds: number, qualityScore?: number): void {
    checkBackend(backend);
    checkNonNegative('responseTimeSeconds', responseTimeSeconds);
    if (qualityScore !== undefined) checkUnit('qualityScore', qualityScore);
    if (backend !== 'lightrag') return;
    this.breaker.recordSuccess(responseTimeSeconds);
    if (qualityScore !== undefined && this.snapshot.settings.enable_quality_metrics)
      this.gate.record(qualityScore);
  }

  /** Records a failed call to a backend (the guide's `record_failure`). */
  recordFailure(backend: Backend, error?: unknown): void {
    checkBackend(backend);
    if (backend !== 'lightrag') return;
    this.breaker.recordFailure(error === undefined ? undefined : String(error));
  }

  /** Closes the circuit breaker and clears its counts. */
  resetCircuitBreaker(): void {
    this.breaker.reset();
  }

  /** Configuration version, load time, last reload outcome and runtime changes. */
  status(): RouterStatus {
    return {
      environment: this.loaded.environment,
      configVersion: this.loaded.version,
      loadedAt: new Date(this.loadedAt).toISOString(),
      lastReload: this.lastReload,
      rolloutPercentage: this.snapshot.settings.rollout_percentage,
      runtimeOverrides: this.rolloutOverride ? { rollout_percentage: this.rolloutOverride } : {},
    };
  }

  /** The breaker's and the gate's state. */
  safetyState() {
    return { circuitBreaker: this.breaker.snapshot(), qualityGate: this.gate.snapshot() };
  }

  /**
   * Re-reads every file, validates and builds a new snapshot, then swaps it in whole. On any
   * problem the current configuration keeps serving and the problems are returned.
   */
  async reload(): Promise<
    { ok: true; changedKeys: ChangedKey[] } | { ok: false; errors: ConfigIssue[] }
  > {
    const at = new Date(this.options.clock.now()).toISOString();
    const result = await loadSnapshot({
      configDir: this.loaded.configDir,
      environment: this.loaded.environment,
      env: this.options.env ?? {},
      cwd: this.options.cwd,
      ...sizes(this.options),
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
    if (this.rolloutOverride && changedKeys.some((change) => change.key === 'rollout_percentage')) {
      this.logger.info(
        { override: this.rolloutOverride, file: next.config.settings.rollout_percentage },
        'rollout_percentage changed in the file; the file value replaces the runtime change',
      );
      this.rolloutOverride = undefined;
    }
    this.loaded = next.config;
    this.loadedAt = this.options.clock.now();
    this.snapshot = next;
    this.applySettings();
    this.lastReload = { ok: true, at, errors: [] };
    const changes = changedKeys.map(
      (change) => `${change.key}: ${show(change.from)} -> ${show(change.to)}`,
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
    const settings = this.rolloutOverride
      ? Object.freeze({ ...loaded, rollout_percentage: this.rolloutOverride.value })
      : loaded;
    this.snapshot = withSettings(
      this.loaded,
      settings,
      this.snapshot.evaluator,
      sizes(this.options),
    );
    this.breaker.configure(breakerSettings(settings));
    this.gate.configure(settings);
    if (this.options.ownsLogger) this.logger.level = settings.log_level;
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

  /** Resolves with the next occurrence of an event. */
  once<K extends keyof RouterEvents>(event: K): Promise<RouterEvents[K]> {
    return new Promise((resolve) => this.emitter.once(event, resolve));
  }

  protected emit<K extends keyof RouterEvents>(event: K, payload: RouterEvents[K]): void {
    this.emitter.emit(event, payload);
  }

  /** @internal Starts hot reload; called by {@link createRouter}. */
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

  /** Releases watchers and timers. Decisions keep working on the last snapshot. */
  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
    this.emitter.removeAllListeners();
  }
}

function sizes(options: Pick<RouterOptions, 'ruleMemoSize' | 'bucketCacheSize'>) {
  return {
    ...(options.ruleMemoSize !== undefined ? { ruleMemoSize: options.ruleMemoSize } : {}),
    ...(options.bucketCacheSize !== undefined ? { bucketCacheSize: options.bucketCacheSize } : {}),
  };
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

function breakerSettings(settings: Readonly<EnvironmentSettings>): BreakerSettings {
  return { ...settings, slow_call_seconds: settings.rollback_triggers.response_time_seconds };
}

function checkBackend(backend: unknown): asserts backend is Backend {
  if (backend !== 'lightrag' && backend !== 'perplexity') {
    throw new TypeError(
      `backend must be "lightrag" or "perplexity", got ${JSON.stringify(backend)}`,
    );
  }
}

function checkNonNegative(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number of at least 0, got ${String(value)}`);
  }
}

function checkUnit(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`${name} must be a number from 0 to 1, got ${String(value)}`);
  }
}

/** Loads and compiles one environment into a snapshot, or returns every problem. */
export async function loadSnapshot(options: {
  configDir: string;
  environment: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  ruleMemoSize?: number;
  bucketCacheSize?: number;
}): Promise<{ ok: true; snapshot: RoutingSnapshot } | { ok: false; issues: ConfigIssue[] }> {
  const loaded = await tryLoadConfig(options);
  if (!loaded.ok) return loaded;
  return buildSnapshot(loaded.config, options);
}

/**
 * Loads the configuration and returns a router serving it. Rejects with a {@link ConfigError}
 * listing every problem when the configuration is invalid: at start-up there is no last good one.
 */
export async function createRouter(options: RouterOptions = {}): Promise<Router> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const environment = options.environment ?? env.FLAGROUTE_ENV ?? DEFAULT_ENVIRONMENT;
  const configDir = options.configDir ?? cwd;
  const result = await loadSnapshot({ configDir, environment, env, cwd, ...sizes(options) });
  if (!result.ok) throw new ConfigError(result.issues);
  const logger = options.logger ?? createLogger(result.snapshot.settings.log_level);
  const router = new Router(
    result.snapshot,
    {
      clock: options.clock ?? systemClock,
      cwd,
      env,
      configDir,
      ownsLogger: options.logger === undefined,
      ...sizes(options),
    },
    logger,
  );
  const watch = options.watch ?? true;
  if (watch !== false) await router.watch(watch === true ? {} : watch);
  return router;
}
