/**
 * The dashboard's view model: everything the page paints, built on the server
 * (`src/dashboard/dashboard-view.ts`) from the router, the plan, the fleet and the metric table,
 * with every label and formatted string included. The page (`dashboard.ts` beside this file)
 * only paints it; both are compiled by the same `tsc` against this one file, so a field renamed
 * here fails the type check of the page as well as the server's. No imports: the page's
 * compilation (DOM, no Node) reads this file alone.
 *
 * @packageDocumentation
 */

/** A number as the page shows it: the raw value (for `data-value`) and its text. */
export interface Figure {
  /** The `/v1` field this figure equals (`avg_cost_usd`), written as `data-field`. */
  field: string;
  value: number | null;
  text: string;
}

/** A moment on the page's one clock (see {@link ClockView}). */
export interface Moment {
  iso: string;
  /** `HH:MM:SS` on the page's clock. */
  text: string;
}

/** The one clock every time on the page is read on. */
export interface ClockView {
  /** `wall`: real time; `simulated`: the demo's accelerated plan time. */
  kind: 'wall' | 'simulated';
  /** What to print beside the times: `UTC`, or `simulated plan time (UTC), 360× real time`. */
  label: string;
}

/** One line of a history, repeated lines folded into one with their count. */
export interface HistoryLine {
  /** The newest occurrence. */
  at: Moment;
  /** The oldest occurrence when folded (count > 1), else null. */
  since: Moment | null;
  count: number;
  text: string;
  /** For reload failures: each problem as `file:line:col: message`. */
  errors: string[];
}

/** One region's row. */
export interface RegionRow {
  region: string;
  effective: Figure;
  configured: Figure;
  why: string;
  origin: string;
}

/** The rollout: what is served, where it comes from, and the kill switch. */
export interface RolloutPanel {
  percentage: Figure;
  origin: string;
  configVersion: string;
  /** The kill switch's banner text while engaged, else null. */
  killSwitch: string | null;
  regions: RegionRow[];
  lastReload: { ok: boolean; text: string; at: Moment };
}

/** One stage of the plan's timeline. */
export interface StageItem {
  number: number;
  percentage: string;
  detail: string;
  state: 'done' | 'current' | 'next';
}

/** One arm's sample progress at the current stage. */
export interface ProgressBar {
  arm: string;
  text: string;
  /** From 0 to 100. */
  percent: number;
}

/** One guardrail: its value, margin, interval and action. */
export interface GuardrailRow {
  name: string;
  label: string;
  value: Figure;
  threshold: string;
  /** The room left to the threshold, or a regression's tolerated margin. */
  margin: string;
  /** A regression's always-valid interval, else `–` (a point reading). */
  interval: string;
  /** What the plan does when it fails (`roll back after 1 failing look`). */
  action: string;
  state: 'ok' | 'failed' | 'waiting';
  stateText: string;
  note: string;
}

/** The rollout plan. */
export interface PlanPanel {
  phase: string;
  reason: string;
  stages: StageItem[];
  /** `hold left 34 min`, or empty. */
  holdLeft: string;
  progress: ProgressBar[];
  guardrails: GuardrailRow[];
  /** Why the guardrail table is empty (no look yet), or empty. */
  guardrailsNote: string;
  transitions: HistoryLine[];
}

/** The safety state. */
export interface SafetyPanel {
  breaker: { state: string; text: string };
  gate: { state: string; text: string };
  history: HistoryLine[];
}

/** One backend's outcome figures since start; `averages` follow {@link DashboardView.metrics}. */
export interface BackendRow {
  backend: string;
  label: string;
  successes: Figure;
  errors: Figure;
  p50: Figure;
  p95: Figure;
  p99: Figure;
  averages: Figure[];
}

/** A lift's interval drawn as a bar. */
export interface IntervalBar {
  low: number;
  high: number;
  relative: number;
  verdict: 'better' | 'worse' | 'unclear';
  description: string;
}

/** One metric of the experiment. */
export interface ExperimentRow {
  metric: string;
  label: string;
  primary: boolean;
  lightrag: Figure;
  perplexity: Figure;
  lift: Figure;
  bar: IntervalBar | null;
  pValue: Figure;
  chanceToWin: Figure;
}

/** The experiment on this instance's live outcomes. */
export interface ExperimentPanel {
  /** The sample-ratio banner, or null when the split holds. */
  srm: string | null;
  verdict: string;
  winner: string | null;
  rows: ExperimentRow[];
}

/** One instance of the fleet. */
export interface InstanceRow {
  id: string;
  name: string;
  state: 'live' | 'stale' | 'stopped';
  configVersion: string;
  runtimeVersion: string;
  flagrouteVersion: string;
  lastSeen: string;
  /** Which of its versions disagree with the live majority or the store (highlighted). */
  skew: { config: boolean; runtime: boolean; flagroute: boolean };
  /** Whether it applied the kill switch in force (null: none is engaged). */
  killSwitchApplied: boolean | null;
}

/** The fleet on a PostgreSQL store. */
export interface FleetPanel {
  store: string;
  summary: string;
  instances: InstanceRow[];
  skew: string[];
  /** The acknowledgement of the kill switch in force, or that none is engaged. */
  killSwitch: string;
  /** Why the fleet could not be read now, or null. */
  error: string | null;
}

/** One line of a chart, with its value at this moment. */
export interface ChartSeries {
  name: string;
  value: number | null;
}

/** A chart: the page adds each snapshot's values as a point at {@link DashboardView.time}. */
export interface ChartView {
  id: string;
  title: string;
  series: ChartSeries[];
}

/** An outcome metric's column. */
export interface MetricColumn {
  name: string;
  label: string;
  /** The `/v1/summary` field of its average. */
  summaryKey: string;
}

/** Everything the dashboard shows, at one moment. */
export interface DashboardView {
  at: Moment;
  /** {@link DashboardView.at} in seconds on the page's clock: the charts' x. */
  time: number;
  clock: ClockView;
  environment: string;
  /** Whether the admin actions are on (a token is configured); never the token. */
  admin: boolean;
  metrics: MetricColumn[];
  rollout: RolloutPanel;
  plan: PlanPanel | null;
  safety: SafetyPanel;
  backends: BackendRow[];
  experiment: ExperimentPanel;
  reloads: HistoryLine[];
  /** With a fleet store, its instances; null otherwise. */
  fleet: FleetPanel | null;
  charts: ChartView[];
}
