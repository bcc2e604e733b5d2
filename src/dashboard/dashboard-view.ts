import type { Clock } from '../clock.js';
import type { ExperimentReport } from '../experiment/index.js';
import type { PlanStatus } from '../rollout-plan/index.js';
import type { PerformanceSummary } from '../router/performance-summary.js';
import type { RouterStatus } from '../router/router-status.js';
import { backendRows, chartViews, experimentPanel, METRIC_COLUMNS } from './outcome-panels.js';
import type { DashboardView, FleetPanel, RolloutPanel, SafetyPanel } from './page/view-model.js';
import { planPanel } from './plan-panel.js';
import { clockView, figure, foldHistory, type HistoryEntry, momentOf } from './view-text.js';

/** How many lines of each history the page shows, after folding repeats. */
export const HISTORY_LINES = 30;

/** What the view is built from, read at one moment. */
export interface ViewInputs {
  now: number;
  clock: Clock;
  admin: boolean;
  status: RouterStatus;
  summary: PerformanceSummary;
  experiment: ExperimentReport;
  plan: PlanStatus | null;
  history: { reloads: readonly HistoryEntry[]; safety: readonly HistoryEntry[] };
  rates: {
    byBackend: Readonly<Record<string, number>> | null;
    byReason: Readonly<Record<string, number>> | null;
  };
  fleet: FleetPanel | null;
}

function rolloutPanel(status: RouterStatus): RolloutPanel {
  const killSwitch = status.rolloutLayers.killSwitch;
  const last = status.lastReload;
  return {
    percentage: figure('rolloutPercentage', status.rolloutPercentage),
    origin: status.rolloutOrigin,
    configVersion: status.configVersion,
    killSwitch: killSwitch.engaged
      ? `Kill switch engaged: 0 % everywhere (${killSwitch.reason ?? 'no reason given'})`
      : null,
    regions: Object.entries(status.regions).map(([region, share]) => ({
      region,
      effective: figure(
        'rolloutPercentage',
        share.rolloutPercentage,
        `${share.rolloutPercentage} %`,
      ),
      configured: figure('configured', share.configured, `${share.configured} %`),
      why: share.why,
      origin: share.origin,
    })),
    lastReload: {
      ok: last.ok,
      text: last.ok
        ? 'ok'
        : `FAILED (${last.errors.length} error${last.errors.length === 1 ? '' : 's'})`,
      at: momentOf(last.at),
    },
  };
}

function safetyPanel(summary: PerformanceSummary, history: readonly HistoryEntry[]): SafetyPanel {
  const breaker = summary.circuit_breaker;
  const gate = summary.quality_gate;
  return {
    breaker: {
      state: breaker.state,
      text: `${breaker.state} (${breaker.failure_count} failure${breaker.failure_count === 1 ? '' : 's'})`,
    },
    gate: {
      state: gate.state,
      text: `${gate.state}${gate.average_quality === null ? '' : `, average ${gate.average_quality.toFixed(3)} (threshold ${gate.threshold})`}`,
    },
    history: foldHistory(history, HISTORY_LINES),
  };
}

/** The view model of the dashboard at one moment (see `page/view-model.ts`). */
export function dashboardView(inputs: ViewInputs): DashboardView {
  const { status, summary } = inputs;
  return {
    at: momentOf(inputs.now),
    time: inputs.now / 1000,
    clock: clockView(inputs.clock),
    environment: status.environment,
    admin: inputs.admin,
    metrics: [...METRIC_COLUMNS],
    rollout: rolloutPanel(status),
    plan: planPanel(inputs.plan),
    safety: safetyPanel(summary, inputs.history.safety),
    backends: backendRows(summary),
    experiment: experimentPanel(inputs.experiment),
    reloads: foldHistory(inputs.history.reloads, HISTORY_LINES),
    fleet: inputs.fleet,
    charts: chartViews(summary, inputs.rates),
  };
}
