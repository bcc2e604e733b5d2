import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { droppedLogLines } from '../logging.js';
import { METRIC_TABLE, type Moments, responseSecondsOf } from '../metrics/index.js';
import { FAULT_REASONS, PLAN_PHASES, type RolloutController } from '../rollout-plan/index.js';
import type { OutcomeRecordedEvent } from '../router/events.js';
import type { Router } from '../router/router.js';
import { BREAKER_STATES } from '../safety/circuit-breaker.js';

/** Latency buckets in seconds: the guide's backends answer in about 1 to 3 s, time out at 10+. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 30, 60];

/**
 * Registers flagroute's metrics for `router` on a prom-client registry (a library user passes
 * their own; `flagroute serve` serves its own at `/metrics`). Counts and sums are read from the
 * router at scrape time; latency histograms are fed by its `outcome` events from now on.
 * Labels are low-cardinality: backend, cohort, reason, metric, state. Never a user id.
 * Returns a function that unregisters the event listeners.
 */
export function registerMetrics(router: Router, registry: Registry): () => void {
  const registers = [registry];
  new Counter({
    name: 'flagroute_decisions_total',
    help: 'Decisions made, by backend, cohort (none: stopped before assignment) and reason.',
    labelNames: ['backend', 'cohort', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const { backend, cohort, reason, count } of router.decisionCounts()) {
        this.inc({ backend, cohort, reason }, count);
      }
    },
  });
  new Counter({
    name: 'flagroute_log_lines_dropped_total',
    help: "Log lines flagroute's default logger dropped because the reader of stderr did not keep up (at most 8 Mi characters wait for it).",
    registers,
    collect() {
      this.reset();
      this.inc(droppedLogLines());
    },
  });
  sufficientStatistics(router, registers);
  const stopOutcomes = outcomeMetrics(router, registers);
  const stopReloads = reloadMetrics(router, registers);
  stateGauges(router, registers);
  return () => {
    stopOutcomes();
    stopReloads();
  };
}

/** Outcome counts and latency histograms, fed by the router's `outcome` events. */
function outcomeMetrics(router: Router, registers: Registry[]): () => void {
  const latency = new Histogram({
    name: 'flagroute_outcome_latency_seconds',
    help: 'Response time of backend calls reported as outcomes, by backend and cohort.',
    labelNames: ['backend', 'cohort', 'success'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const outcomes = new Counter({
    name: 'flagroute_outcomes_total',
    help: 'Outcomes recorded, by backend, cohort and success.',
    labelNames: ['backend', 'cohort', 'success'],
    registers,
  });
  const shadow = shadowMetrics(registers);
  new Counter({
    name: 'flagroute_shadow_budget_total',
    help: "Queries picked for the shadow, by this process's budget's answer: admitted (LightRAG called in the shadow) or refused (shadow.max_per_second spent: served without a shadow).",
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      const { admitted, refused } = router.status().shadowBudget;
      this.inc({ result: 'admitted' }, admitted);
      this.inc({ result: 'refused' }, refused);
    },
  });
  const onOutcome = (recorded: OutcomeRecordedEvent) => {
    const { backend, cohort, outcome } = recorded;
    const labels = { backend, cohort: cohort ?? 'none', success: String(outcome.success) };
    outcomes.inc(labels);
    const seconds = responseSecondsOf(outcome);
    if (seconds !== undefined) latency.observe(labels, seconds);
    if (recorded.shadow !== undefined) shadow(recorded);
  };
  router.on('outcome', onOutcome);
  return () => router.off('outcome', onOutcome);
}

/**
 * The shadow's calls, apart from the served outcomes: how many, their cost (never part of the
 * served cost per query) and the judges' preferences. Request-level counts, for dashboards and
 * budgets; the paired analysis is per user (`experiment report --shadow`).
 */
function shadowMetrics(registers: Registry[]): (recorded: OutcomeRecordedEvent) => void {
  const calls = new Counter({
    name: 'flagroute_shadow_outcomes_total',
    help: 'Shadow calls to LightRAG reported beside a served Perplexity outcome, by success.',
    labelNames: ['success'],
    registers,
  });
  const cost = new Counter({
    name: 'flagroute_shadow_cost_usd_total',
    help: 'Cost of the shadow calls reported (USD), counted apart from the served cost.',
    registers,
  });
  const preferences = new Counter({
    name: 'flagroute_shadow_preferences_total',
    help: "Judges' pairwise preferences between a served answer and its shadow, by winner.",
    labelNames: ['winner'],
    registers,
  });
  return ({ shadow, preference }) => {
    if (shadow === undefined) return;
    calls.inc({ success: String(shadow.success) });
    if (shadow.costUsd !== undefined) cost.inc(shadow.costUsd);
    if (preference !== undefined) preferences.inc({ winner: preference.winner });
  };
}

/** Reloads by result, fed by the router's reload events. */
function reloadMetrics(router: Router, registers: Registry[]): () => void {
  const reloads = new Counter({
    name: 'flagroute_reloads_total',
    help: 'Configuration reloads, by result (ok or error).',
    labelNames: ['result'],
    registers,
  });
  reloads.inc({ result: 'ok' }, 0);
  reloads.inc({ result: 'error' }, 0);
  const onReload = () => reloads.inc({ result: 'ok' });
  const onReloadError = () => reloads.inc({ result: 'error' });
  router.on('reload', onReload).on('reloadError', onReloadError);
  return () => router.off('reload', onReload).off('reloadError', onReloadError);
}

/** The metric table's units, as the help of the sums says them. */
const UNITS = METRIC_TABLE.map((row) => `${row.name} in ${row.unit}`).join(', ');

/**
 * Per cohort and metric (every metric of the table), n, sum and sum of squares of x - shift,
 * the metric's fixed reference (label `shift`, the same in every instance): summed over
 * instances (`sum by (cohort, metric, shift)`), they give the fleet's exact mean
 * (shift + sum / n) and variance.
 */
function sufficientStatistics(router: Router, registers: Registry[]): void {
  const moment = (name: string, help: string, pick: (m: Moments) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['cohort', 'metric', 'shift'],
      registers,
      collect() {
        for (const [cohort, metrics] of Object.entries(router.outcomeMoments())) {
          for (const [metric, moments] of Object.entries(metrics))
            this.set({ cohort, metric, shift: String(moments.shift ?? 0) }, pick(moments));
        }
      },
    });
  moment('flagroute_outcome_metric_count', 'Outcomes carrying the metric, per cohort.', (m) => m.n);
  moment(
    'flagroute_outcome_metric_sum',
    `Sum of the metric less its shift (label shift) over outcomes, per cohort (${UNITS}).`,
    (m) => m.sum,
  );
  moment(
    'flagroute_outcome_metric_sum_of_squares',
    'Sum of squares of the metric less its shift (label shift) over outcomes, per cohort.',
    (m) => m.sum_of_squares,
  );
  covariateProducts(router, registers);
}

/**
 * Per arm and metric, the request-level cross-products for regression adjustment: over the
 * outcomes carrying the metric, the sum of row * column, each an entry of the request's vector
 * (`value`: the metric less its shift; `one`: 1; a covariate column: `lengthBucket`,
 * `complexity`, `queryType=<level>`, `region=<level>`, at most 16). Each pair once, in a fixed
 * order, so that `sum by (cohort, metric, shift, row, column)` adds the fleet's instances.
 */
function covariateProducts(router: Router, registers: Registry[]): void {
  const cohorts = ['lightrag', 'perplexity'] as const;
  new Gauge({
    name: 'flagroute_outcome_covariate_products',
    help: `Sum over outcomes of the product of two entries (row, column) of the request's vector: value (the metric less its shift), one, and the query's covariates; per cohort and metric (${UNITS}). Request-level sums: their adjustment is never a test.`,
    labelNames: ['cohort', 'metric', 'shift', 'row', 'column'],
    registers,
    collect() {
      for (const { arm, metric, row, column, value } of router.outcomeCovariates.namedProducts()) {
        const spec = METRIC_TABLE[metric]!;
        const shift = String(spec.reference);
        this.set({ cohort: cohorts[arm], metric: spec.name, shift, row, column }, value);
      }
    },
  });
}

function stateGauges(router: Router, registers: Registry[]): void {
  new Gauge({
    name: 'flagroute_circuit_breaker_state',
    help: 'Circuit breaker state: 1 for the current state, 0 for the others.',
    labelNames: ['state'],
    registers,
    collect() {
      const state = router.getPerformanceSummary().circuit_breaker.state;
      for (const each of BREAKER_STATES) this.set({ state: each }, each === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'flagroute_quality_gate_open',
    help: '1 while the quality gate lets traffic reach the candidate.',
    registers,
    collect() {
      this.set(router.getPerformanceSummary().quality_gate.state === 'open' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'flagroute_rollout_percentage',
    help: 'Effective rollout percentage (0 while the kill switch is engaged).',
    registers,
    collect() {
      this.set(router.settings.rollout_percentage);
    },
  });
  new Gauge({
    name: 'flagroute_config_info',
    help: 'The configuration served: 1, labelled with its version and environment.',
    labelNames: ['version', 'environment'],
    registers,
    collect() {
      this.reset();
      const status = router.status();
      this.set({ version: status.configVersion, environment: status.environment }, 1);
    },
  });
}

/**
 * The rollout controller's metrics: the current stage and phase (gauges), transitions by event
 * and faults by reason (counters), and whether it drives (a gauge), on the router's registry.
 */
export function registerControllerMetrics(controller: RolloutController, registry: Registry): void {
  const registers = [registry];
  new Gauge({
    name: 'flagroute_rollout_plan_stage',
    help: 'The rollout plan stage serving, counted from 1 (0 before the plan starts).',
    registers,
    collect() {
      this.set(controller.state.stage + 1);
    },
  });
  new Gauge({
    name: 'flagroute_rollout_plan_phase',
    help: 'The rollout plan phase: 1 for the current one.',
    labelNames: ['phase'],
    registers,
    collect() {
      for (const phase of PLAN_PHASES)
        this.set({ phase }, controller.state.phase === phase ? 1 : 0);
    },
  });
  const transitions = new Counter({
    name: 'flagroute_rollout_plan_transitions_total',
    help: 'Rollout plan transitions made by this controller, by event.',
    labelNames: ['event'],
    registers,
  });
  controller.onTransition((notice) => transitions.inc({ event: notice.event }));
  const errors = new Counter({
    name: 'flagroute_rollout_controller_errors_total',
    help: 'Faults the rollout controller met (logged at error level, shown in /readyz), by reason.',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of FAULT_REASONS) errors.inc({ reason }, 0);
  controller.onFault((fault) => errors.inc({ reason: fault.reason }));
  new Gauge({
    name: 'flagroute_rollout_controller_active',
    help: '1 while this rollout controller holds the lease and drives the plan, 0 while it stands by.',
    registers,
    collect() {
      this.set(controller.role === 'active' ? 1 : 0);
    },
  });
}
