import type { Clock } from '../clock.js';
import { issueForResponse } from '../config/issue-for-response.js';
import { formatIssue } from '../config/issues.js';
import { FlagrouteError } from '../errors.js';
import { analyzeExperiment, liveSource } from '../experiment/index.js';
import {
  defaultStateDir,
  FilePlanStore,
  type PlanStatus,
  type PlanStore,
  type RolloutController,
  statusFromStore,
} from '../rollout-plan/index.js';
import type { Listener } from '../router/event-hub.js';
import type { RouterEvents } from '../router/events.js';
import type { Router } from '../router/router.js';
import type { FleetStore } from '../runtime-store/index.js';
import { dashboardView } from './dashboard-view.js';
import { DecisionRates } from './decision-rates.js';
import { fleetPanel, unreadableFleet } from './fleet-panel.js';
import type { DashboardView, FleetPanel } from './page/view-model.js';
import type { HistoryEntry } from './view-text.js';

/** How many past events of each kind the dashboard keeps (the page folds repeats). */
export const HISTORY_LENGTH = 200;

function push(list: HistoryEntry[], entry: HistoryEntry): void {
  list.unshift(entry);
  list.length = Math.min(list.length, HISTORY_LENGTH);
}

/**
 * Collects what the dashboard shows from a router (and a rollout controller, when one runs in
 * the server, and a fleet's store): the state on demand, built into the page's view model, and
 * the histories of reloads and of breaker and gate transitions as they happen (the plan's
 * transitions are in its state). `onChange` listeners hear of every event at once.
 */
export class DashboardFeed {
  private readonly reloads: HistoryEntry[] = [];
  private readonly safety: HistoryEntry[] = [];
  private readonly byBackend: DecisionRates;
  private readonly byReason: DecisionRates;
  private readonly listeners = new Set<() => void>();
  private readonly detach: (() => void)[] = [];

  constructor(
    private readonly router: Router,
    private readonly options: {
      controller?: RolloutController;
      admin: boolean;
      clock: Clock;
      /** Where the plan lives when not in `state/` (a fleet's store). */
      planStore?: PlanStore;
      /** A fleet's store: the page lists its instances. */
      fleet?: FleetStore;
    },
  ) {
    this.byBackend = new DecisionRates(options.clock);
    this.byReason = new DecisionRates(options.clock);
    const at = () => this.options.clock.now();
    const on = <K extends keyof RouterEvents>(event: K, listener: Listener<K>) => {
      router.on(event, listener);
      this.detach.push(() => router.off(event, listener));
    };
    on('reload', ({ configVersion, changedKeys }) => {
      const keys = changedKeys.map((change) => change.key).join(', ');
      push(this.reloads, { at: at(), text: `loaded ${configVersion}${keys ? `: ${keys}` : ''}` });
      this.changed();
    });
    on('reloadError', ({ errors }) => {
      push(this.reloads, {
        at: at(),
        text: 'reload failed; the previous configuration keeps serving',
        errors: errors.map((issue) =>
          formatIssue(issueForResponse(issue, router.config.configDir)),
        ),
      });
      this.changed();
    });
    on('breaker', ({ from, to, reason }) => {
      push(this.safety, { at: at(), text: `circuit breaker ${from} -> ${to}: ${reason}` });
      this.changed();
    });
    on('qualityGate', ({ from, to, reason }) => {
      push(this.safety, { at: at(), text: `quality gate ${from} -> ${to}: ${reason}` });
      this.changed();
    });
    on('rollback', ({ reason }) => {
      push(this.safety, { at: at(), text: `rollback: ${reason}` });
      this.changed();
    });
    // The transitions themselves come from the plan's state, which every instance reads.
    options.controller?.onTransition(() => this.changed());
  }

  /** Calls `listener` whenever something the dashboard shows happened; returns the unsubscriber. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** The dashboard's view model now (see `page/view-model.ts`). */
  async snapshot(): Promise<DashboardView> {
    const status = this.router.status();
    const byBackend: Record<string, number> = {};
    const byReason: Record<string, number> = {};
    for (const { backend, reason, count } of this.router.decisionCounts()) {
      byBackend[backend] = (byBackend[backend] ?? 0) + count;
      byReason[reason] = (byReason[reason] ?? 0) + count;
    }
    const killSwitch = status.rolloutLayers.killSwitch;
    const [plan, fleet] = await Promise.all([
      this.plan(),
      this.fleet(killSwitch.engaged ? (killSwitch.reason ?? 'no reason given') : null),
    ]);
    return dashboardView({
      now: this.options.clock.now(),
      clock: this.options.clock,
      admin: this.options.admin,
      status,
      summary: this.router.getPerformanceSummary(),
      experiment: analyzeExperiment(liveSource(this.router).readNow(), { sequential: true }),
      plan,
      history: { reloads: this.reloads, safety: this.safety },
      rates: { byBackend: this.byBackend.read(byBackend), byReason: this.byReason.read(byReason) },
      fleet,
    });
  }

  private async fleet(killSwitch: string | null): Promise<FleetPanel | null> {
    const store = this.options.fleet;
    if (!store) return null;
    try {
      return fleetPanel(await store.fleetStatus(), killSwitch);
    } catch (error) {
      // The store's errors are coded and carry neither paths nor secrets.
      const why = error instanceof FlagrouteError ? `${error.code}: ${error.message}` : 'GENERAL';
      return unreadableFleet(why);
    }
  }

  private async plan(): Promise<PlanStatus | null> {
    if (this.options.controller) return this.options.controller.status();
    const config = this.router.config;
    const store =
      this.options.planStore ??
      new FilePlanStore(defaultStateDir(config.configDir), config.environment);
    // An unreadable store shows as no plan here; the CLI's status names the problem.
    return statusFromStore(config, store, this.options.clock.now())
      .then(({ lease: _lease, problems: _problems, ...status }) =>
        // The file's layers are not the fleet's: what this router serves is.
        this.options.planStore
          ? { ...status, percentage: this.router.status().rolloutPercentage }
          : status,
      )
      .catch(() => null);
  }

  /** Stops listening to the router. */
  close(): void {
    for (const detach of this.detach) detach();
    this.listeners.clear();
  }
}
