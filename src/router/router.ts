import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load-config.js';
import type { Backend, EnvironmentSettings } from '../config/types.js';
import {
  identifierOf,
  normalizeContext,
  SyncDecisionUnavailableError,
  unitIdentityOf,
} from '../decision/context.js';
import type { Cohort, Decision, ExplainStep, RoutingContext } from '../decision/types.js';
import type { Moments, OutcomeMetric } from '../metrics/index.js';
import {
  type DecisionLedger,
  type IssuedDecision,
  type OutcomeOrigin,
  type OutcomeReport,
  type OutcomeSink,
  type OutcomeStore,
  type RecordedBatch,
  recordOutcome,
  recordOutcomes,
  recordOutcomesOnce,
  tieFailure,
  tieSuccess,
} from '../outcomes/index.js';
import type { WatchOptions } from '../watch/config-watcher.js';
import type { LabelledCount } from './decision-counts.js';
import { promiseOfDecision } from './decision-runner.js';
import type { Listener } from './event-hub.js';
import type { RouterEvents } from './events.js';
import { type PerformanceSummary, summarise } from './performance-summary.js';
import type { ReloadOutcome } from './reload.js';
import type { RolloutChangeOptions } from './rollout-control.js';
import { type Explanation, killSwitchSteps, type RouterStatus, statusOf } from './router-status.js';
import type { RouterParts } from './wire-router.js';

/**
 * Routes queries between the candidate and the fallback on one immutable configuration
 * snapshot at a time, and keeps the safety state (breaker, quality gate, rollback triggers,
 * performance figures) across reloads. Create one with `createRouter`; every method delegates
 * to a part made by `wireRouter`.
 */
export class Router {
  /** The router's pino logger. */
  readonly logger: Logger;
  /** Per arm, request-level sums of the metrics and covariates since start: they add too. */
  readonly outcomeCovariates: RouterParts['outcomes']['tracker']['covariates'];

  /** @internal Use `createRouter`. */
  constructor(private readonly parts: RouterParts) {
    this.logger = parts.logger;
    this.outcomeCovariates = parts.outcomes.tracker.covariates;
  }

  /** The environment this router serves. */
  get environment(): string {
    return this.parts.state.loaded.environment;
  }

  /** The settings in force (loaded, with runtime changes). Frozen. */
  get settings(): Readonly<EnvironmentSettings> {
    return this.parts.state.settings;
  }

  /** The loaded configuration, before runtime changes. */
  get config(): LoadedConfig {
    return this.parts.state.loaded;
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
    return promiseOfDecision(this.parts.runner.run(valid));
  }

  /**
   * Decides like {@link decide}, synchronously, for callers on a hot path. Available whenever
   * every loaded rule is a shorthand rule or a json-rules-engine rule of plain comparisons
   * ({@link supportsSyncDecisions}); otherwise it throws `SyncDecisionUnavailableError` (code
   * `ASYNC_RULE`) without deciding. Throws `InvalidContextError` for a malformed context.
   */
  decideSync(context: RoutingContext): Decision {
    const valid = normalizeContext(context);
    const asyncRules = this.parts.state.snapshot.evaluator.asyncRules;
    if (asyncRules.length > 0) throw new SyncDecisionUnavailableError(asyncRules);
    return this.parts.runner.run(valid) as Decision;
  }

  /** The user's bucket in [0, 100] under the salt in force. Throws `InvalidContextError`. */
  bucketOf(context: RoutingContext): number {
    return this.parts.state.snapshot.bucketOf(identifierOf(normalizeContext(context)));
  }

  /** Whether {@link decideSync} can decide with the configuration loaded now. */
  get supportsSyncDecisions(): boolean {
    return this.parts.state.snapshot.evaluator.asyncRules.length === 0;
  }

  /** {@link decide} with each step of the tree and why; the kill switch, while engaged, first. */
  async explain(context: RoutingContext): Promise<Explanation> {
    const valid = normalizeContext(context);
    const steps: ExplainStep[] = killSwitchSteps(this.parts.state.snapshot.rollout);
    const decision = await this.parts.runner.run(valid, steps);
    return { decision, steps };
  }

  /**
   * Sets the runtime layer (0..100): above the file and every `LIGHTRAG_*` variable, capping
   * every region. With `persist`, in the runtime store (the environment file's `runtime:`
   * block), lifting its kill switch, so every instance follows; without, in this process only.
   * 0 is an emergency rollback: the kill switch, above every layer, in this process at once and
   * with `persist` in the store. Under the store's kill switch a raise without `persist` is
   * refused (`KILL_SWITCH_ENGAGED`). See docs/configuration.md for the layers.
   */
  async updateRolloutPercentage(
    percentage: number,
    options: RolloutChangeOptions = {},
  ): Promise<void> {
    await this.parts.rollout.update(percentage, options);
  }

  /** Lifts the kill switch, this process's own and the store's: back to the layers below. */
  async resumeRollout(options: { reason?: string } = {}): Promise<void> {
    await this.parts.rollout.resume(options);
  }

  /**
   * Records a call to a backend (the guide's `record_success`); seconds, quality in [0, 1].
   * Not tied to a decision: when the breaker is half-open it counts as a trial's outcome only
   * while a trial's outcome is outstanding (see docs/safety.md); prefer `recordOutcome`.
   */
  recordSuccess(backend: Backend, responseTimeSeconds: number, qualityScore?: number): void {
    this.parts.outcomes.record(tieSuccess(backend, responseTimeSeconds, qualityScore));
  }

  /** Records a failed call to a backend (the guide's `record_failure`). */
  recordFailure(backend: Backend, error?: unknown): void {
    const tied = tieFailure(backend);
    if (error !== undefined) this.logger.debug({ err: error, backend }, 'backend failure recorded');
    this.parts.outcomes.record(tied);
  }

  /**
   * Records the outcome of the call a decision led to, counted for its backend and cohort. Both
   * are checked whole first, a shadow pair as over HTTP (refused for a `Decision` not picked for
   * the shadow): on any problem an `InvalidOutcomeError` names the field; nothing is recorded.
   * When the breaker is half-open, only the outcome of a decision that took a trial slot closes
   * or re-opens it. A `userId` reaches the outcome event log as its pseudonymous unit (`unitKey`).
   */
  recordOutcome(
    decision: Pick<Decision, 'backend' | 'cohort'> &
      Partial<Pick<Decision, 'breakerTrial' | 'shadow' | 'reason'>> & { decisionId?: string },
    outcome: OutcomeReport,
  ): void {
    recordOutcome(decision, outcome, this.parts.outcomes);
  }

  /**
   * Remembers a decision made for `context` in `ledger`, with the user's pseudonymous unit (from
   * `userId`, else `sessionId`): its id and, with decision tokens, a signed token carrying both.
   */
  issueDecision(
    decision: Decision,
    context: RoutingContext,
    ledger: DecisionLedger,
  ): IssuedDecision {
    const id = unitIdentityOf(context);
    return ledger.issue(decision, { id, salt: this.settings.user_hash_salt });
  }

  /**
   * Records a batch of outcomes as posted (`POST /v1/outcomes`, the provider's `track`): up to
   * 1,000, each tied to its decision by `decisionToken`, by `decisionId` through `ledger` or by
   * `backend` and `cohort`; all or nothing (an `InvalidOutcomeError` lists every bad item); an
   * id or a token takes one outcome (a token's second is counted in `duplicates`). After an `anonymous` one, no automatic rollback here is written to the file.
   */
  recordOutcomes(batch: unknown, ledger: DecisionLedger, origin?: OutcomeOrigin): RecordedBatch {
    return recordOutcomes(batch, ledger, this.parts.outcomes, origin);
  }

  /**
   * `recordOutcomes` through the fleet's outcome store: written there first, so a decision whose
   * outcome any instance took is a duplicate here; the store's coded error records nothing.
   */
  recordOutcomesOnce(
    batch: unknown,
    ledger: DecisionLedger,
    store: OutcomeStore,
    origin?: OutcomeOrigin,
  ) {
    return recordOutcomesOnce(batch, ledger, this.parts.outcomes, store, origin);
  }

  /**
   * Resolves once every outcome sink has put away the events it was handed so far: written,
   * or failed and counted (see `OutcomeSink.flushed`).
   */
  outcomesFlushed(): Promise<void> {
    return this.parts.outcomes.flushed();
  }

  /**
   * Writes every outcome this router records with a cohort to `sink`, as an event line
   * (schemas/outcome-event.schema.json); returns the detach function. The sink is the
   * caller's to close.
   */
  addOutcomeSink(sink: OutcomeSink): () => void {
    return this.parts.outcomes.addSink(sink);
  }

  /** Every outcome metric's moments per cohort since start: they add across instances. */
  outcomeMoments(): Record<Cohort, Record<OutcomeMetric, Moments>> {
    return this.parts.outcomes.tracker.cohortMoments();
  }

  /** Response times per cohort since start, as HDR bucket counts (they add too). */
  latencyCounts(): Record<Cohort, Float64Array> {
    return this.parts.outcomes.tracker.cohortLatencyCounts();
  }

  /** Decisions made since start, by backend, cohort and reason. */
  decisionCounts(): LabelledCount[] {
    return this.parts.counts.byLabels();
  }

  /** Closes the circuit breaker and clears its counts. */
  resetCircuitBreaker(): void {
    this.parts.outcomes.breaker.reset();
  }

  /**
   * The guide's summary (`circuit_breaker`, `performance` per backend, times in seconds), with
   * per-cohort figures, percentiles, the quality gate, decisions per cohort and reason, the
   * rollout and the configuration.
   */
  getPerformanceSummary(): PerformanceSummary {
    const { outcomes, counts } = this.parts;
    return summarise({ outcomes, counts, status: this.status() });
  }

  /**
   * Configuration version, load time, last reload, the effective rollout with every layer behind
   * it, each region's share, the shadow's share and this process's shadow budget.
   */
  status(): RouterStatus {
    const { state, rollout, outcomes } = this.parts;
    return statusOf(state, rollout, outcomes.shadowBudget.counts());
  }

  /**
   * Re-reads every file, validates and builds a new snapshot, then swaps it in whole. On any
   * problem the current configuration keeps serving and the problems are returned.
   */
  reload(): Promise<ReloadOutcome> {
    return this.parts.reloader.reload();
  }

  /** Subscribes to an event. */
  on<K extends keyof RouterEvents>(event: K, listener: Listener<K>): this {
    this.parts.events.on(event, listener);
    return this;
  }

  /** Unsubscribes from an event. */
  off<K extends keyof RouterEvents>(event: K, listener: Listener<K>): this {
    this.parts.events.off(event, listener);
    return this;
  }

  /** @internal Starts hot reload; called by `createRouter`. */
  watch(options: WatchOptions): Promise<void> {
    return this.parts.reloader.watch(options);
  }

  /**
   * Releases watchers, timers and caches. Decisions keep working on the last snapshot (uncached).
   */
  async close(): Promise<void> {
    const stopped = this.parts.reloader.stop();
    this.parts.unfollow();
    await stopped;
    this.parts.events.clear();
    this.parts.state.snapshot.release();
  }
}
