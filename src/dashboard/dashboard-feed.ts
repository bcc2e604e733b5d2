import type { Clock } from '../clock.js';
import { formatIssue } from '../config/issues.js';
import { REASONS, type Reason } from '../decision/types.js';
import { analyzeExperiment, type ExperimentReport, liveSource } from '../experiment/index.js';
import { METRIC_TABLE, type MetricRow } from '../metrics/index.js';
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
import type { PerformanceSummary } from '../router/performance-summary.js';
import type { Router } from '../router/router.js';
import type { RouterStatus } from '../router/router-status.js';

/** How many past events of each kind the dashboard keeps. */
export const HISTORY_LENGTH = 30;

/** One line of a history the dashboard shows. */
export interface HistoryEntry {
  at: string;
  text: string;
  /** For reload failures: each problem as `file:line:col: message`. */
  errors?: string[];
}

/** Everything the dashboard shows, at one moment. */
export interface DashboardSnapshot {
  at: string;
  status: RouterStatus;
  summary: PerformanceSummary;
  experiment: ExperimentReport;
  plan: PlanStatus | null;
  /** Decisions since start by backend and by reason (the page derives rates). */
  decisions: { byBackend: Record<string, number>; byReason: Record<string, number> };
  history: { reloads: HistoryEntry[]; safety: HistoryEntry[]; plan: HistoryEntry[] };
  /** Whether the admin actions are on (a token is configured); never the token. */
  admin: boolean;
  /** Every decision reason, in the decision tree's order (the page's series). */
  reasons: readonly Reason[];
  /** The metric table: each outcome metric's name, label, unit, direction and format. */
  metrics: readonly Pick<MetricRow, 'name' | 'label' | 'unit' | 'better' | 'format'>[];
}

/** The part of the metric table the page shows with. */
const METRIC_VIEW = METRIC_TABLE.map(({ name, label, unit, better, format }) => ({
  name,
  label,
  unit,
  better,
  format,
}));

function push(list: HistoryEntry[], entry: HistoryEntry): void {
  list.unshift(entry);
  list.length = Math.min(list.length, HISTORY_LENGTH);
}

/**
 * Collects what the dashboard shows from a router (and a rollout controller, when one runs in
 * the server): the state on demand, and the histories of reloads, breaker and gate transitions
 * and plan transitions as they happen. `onChange` listeners hear of every event at once.
 */
export class DashboardFeed {
  private readonly reloads: HistoryEntry[] = [];
  private readonly safety: HistoryEntry[] = [];
  private readonly planHistory: HistoryEntry[] = [];
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
    },
  ) {
    const at = () => new Date(this.options.clock.now()).toISOString();
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
        errors: errors.map(formatIssue),
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
    options.controller?.onTransition((notice) => {
      push(this.planHistory, { at: notice.at, text: `${notice.event}: ${notice.reason}` });
      this.changed();
    });
  }

  /** Calls `listener` whenever something the dashboard shows happened; returns the unsubscriber. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** The dashboard's data now. */
  async snapshot(): Promise<DashboardSnapshot> {
    const status = this.router.status();
    const byBackend: Record<string, number> = {};
    const byReason: Record<string, number> = {};
    for (const { backend, reason, count } of this.router.decisionCounts()) {
      byBackend[backend] = (byBackend[backend] ?? 0) + count;
      byReason[reason] = (byReason[reason] ?? 0) + count;
    }
    return {
      at: new Date(this.options.clock.now()).toISOString(),
      status,
      summary: this.router.getPerformanceSummary(),
      experiment: analyzeExperiment(liveSource(this.router).readNow(), { sequential: true }),
      plan: await this.plan(),
      decisions: { byBackend, byReason },
      history: { reloads: this.reloads, safety: this.safety, plan: this.planHistory },
      admin: this.options.admin,
      reasons: REASONS,
      metrics: METRIC_VIEW,
    };
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
