import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { unitIdentityOf } from '../decision/context.js';
import type { SafetyView } from '../decision/decision-tree.js';
import type { RoutingSnapshot } from '../decision/snapshot.js';
import { ExposureLedger } from '../outcomes/index.js';
import type { RuntimeLayerStore, RuntimeState } from '../rollout-layers/index.js';
import { DecisionCounts } from './decision-counts.js';
import { DecisionRunner } from './decision-runner.js';
import { RouterEventHub } from './event-hub.js';
import { type OutcomeHooks, OutcomeRecorder } from './outcome-recorder.js';
import { Reloader } from './reload.js';
import { RolloutControl } from './rollout-control.js';
import { ServingState } from './serving-state.js';
import { loadSnapshot, type SnapshotSizes, snapshotSizes } from './snapshot-loader.js';

/** What a router is built from, besides its first snapshot and its logger. */
export interface RouterInternals extends SnapshotSizes {
  clock: Clock;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether the router created its logger (and so follows `log_level` on reload). */
  ownsLogger: boolean;
  /** How long every file must be still before a reload uses it. */
  stabilityMs: number;
  /** Whether every decision is timed (`elapsedMs`). */
  timeDecisions: boolean;
  /** A store other than the environment file that keeps the runtime state, as read at start. */
  runtimeStore?: { layer: RuntimeLayerStore; initial: RuntimeState };
}

/** The parts of a router, made and connected in one place. */
export interface RouterParts {
  readonly state: ServingState;
  readonly events: RouterEventHub;
  readonly outcomes: OutcomeRecorder;
  readonly rollout: RolloutControl;
  readonly counts: DecisionCounts;
  readonly runner: DecisionRunner;
  readonly reloader: Reloader;
  /** Stops following the runtime store (the router is closing). */
  readonly unfollow: () => void;
  readonly logger: Logger;
  readonly internals: RouterInternals;
}

/**
 * Builds a router's parts and connects them: the serving state and the events first, then the
 * rollout control (which serves, reloads and re-arms through the parts made after it, called
 * only once the router runs), the outcome recorder (whose triggers roll back through the
 * rollout control), then the reloader; last, the first snapshot is served with every layer.
 */
export function wireRouter(
  snapshot: RoutingSnapshot,
  internals: RouterInternals,
  logger: Logger,
): RouterParts {
  const state = new ServingState(snapshot, internals.clock);
  const events = new RouterEventHub();
  const apply = () => {
    const served = rollout.servedFrom(state.loaded);
    state.reapply(served.settings, served.rollout);
    outcomes.configure(served.settings);
    if (internals.ownsLogger) logger.level = served.settings.log_level;
  };
  const rollout: RolloutControl = new RolloutControl(
    {
      clock: internals.clock,
      logger,
      cwd: internals.cwd,
      loaded: () => state.loaded,
      emit: events.emit,
      serve: apply,
      reload: () => reloader.reload(),
      rearm: () => outcomes.rollbacks.rearm(),
    },
    internals.runtimeStore,
  );
  const outcomes = new OutcomeRecorder(
    snapshot.settings,
    internals.clock,
    outcomeHooks(logger, events, rollout),
    { settings: () => state.settings, configVersion: () => state.loaded.version },
  );
  const load = () =>
    loadSnapshot({
      configDir: state.loaded.configDir,
      environment: state.loaded.environment,
      env: internals.env,
      cwd: internals.cwd,
      stabilityMs: internals.stabilityMs,
      ...snapshotSizes(internals),
    });
  const reloader = new Reloader({ state, rollout, events, logger, apply, load });
  apply();
  const counts = new DecisionCounts();
  // Exposures: one record per unit per allocation period, for the event log's sample-ratio test.
  const exposures = new ExposureLedger();
  const runner = new DecisionRunner(
    state,
    safetyViewOf(outcomes),
    counts,
    logger,
    internals.timeDecisions,
    (decision, context, snapshot) => {
      if (!outcomes.keepsExposures) return;
      const identifier = unitIdentityOf(context);
      const salt = snapshot.settings.user_hash_salt;
      const event = exposures.expose(decision, identifier, salt, internals.clock.now());
      if (event) outcomes.writeExposure(event);
    },
  );
  const unfollow = rollout.follow();
  return {
    state,
    events,
    outcomes,
    rollout,
    counts,
    runner,
    reloader,
    unfollow,
    logger,
    internals,
  };
}

/**
 * Safety transitions are logged and emitted; a firing trigger rolls back (in this process only
 * once anonymous outcomes fed the triggers); outcomes are emitted.
 */
function outcomeHooks(
  logger: Logger,
  events: RouterEventHub,
  rollout: RolloutControl,
): OutcomeHooks {
  return {
    breaker: (transition) => {
      const { from, to, reason } = transition;
      logger.warn({ breaker: transition }, `circuit breaker ${from} -> ${to}: ${reason}`);
      events.emit('breaker', transition);
    },
    qualityGate: (transition) => {
      const { from, to, reason } = transition;
      logger.warn({ qualityGate: transition }, `quality gate ${from} -> ${to}: ${reason}`);
      events.emit('qualityGate', transition);
    },
    trigger: (firing, persist) => void rollout.rollBack(firing, { persist }),
    recorded: (outcome) => events.emit('outcome', outcome),
  };
}

/** What the decision tree may ask of the breaker and the quality gate. */
function safetyViewOf(outcomes: OutcomeRecorder): SafetyView {
  return {
    breakerAllowsCandidate: () => outcomes.breaker.allowsCandidate(),
    acquireCandidate: () => outcomes.breaker.admit(),
    qualityGateOpen: () => outcomes.gate.isOpen(),
    admitShadow: () => outcomes.breaker.state() === 'closed' && outcomes.shadowBudget.take(),
  };
}
