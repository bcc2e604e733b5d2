/**
 * flagroute: routes each query to the candidate retrieval backend (LightRAG) or the incumbent
 * (Perplexity), and keeps that decision safe while the candidate is rolled out.
 *
 * The public door, in the order a user meets it: make a router, decide, record outcomes,
 * change the rollout; then the configuration, the errors, and the tools built on the router.
 * Helpers for ports and benchmarks (the bucket hash, the code-point length) are in
 * `flagroute/internals`; the HTTP service in `flagroute/server`; the OpenFeature provider in
 * `flagroute/openfeature` (each loaded only by those who import it).
 *
 * @packageDocumentation
 */

// Tools built on the router.
export { type DecideStreamReport, decideStream } from './batch/decide-stream.js';
export type { Clock } from './clock.js';
export { LIGHTRAG_RULE_VARIABLES, LIGHTRAG_SETTING_VARIABLES } from './config/env-overlay.js';
export {
  CONFIG_ISSUE_CODES,
  ConfigError,
  type ConfigIssue,
  type ConfigIssueCode,
  type ConfigResult,
  formatIssue,
} from './config/issues.js';
// Configuration.
export {
  DEFAULT_ENVIRONMENT,
  type LoadConfigOptions,
  type LoadedConfig,
  type LoadedRegion,
  type LoadedRule,
  type LoadResult,
  loadConfig,
  type Origin,
  type RolloutLayers,
  tryLoadConfig,
} from './config/load-config.js';
export {
  engageKillSwitch,
  liftKillSwitch,
  type RolloutEdit,
  setFileRollout,
} from './config/rollout-edits.js';
export {
  BACKENDS,
  type Backend,
  CANDIDATE,
  type EnvironmentSettings,
  FALLBACK,
  type RollbackBlock,
  type RoutingRuleSpec,
  type RuleFileContent,
} from './config/types.js';
export { type ValidationReport, validateConfigDir } from './config/validate-config-dir.js';
// Errors: one vocabulary with stable codes, and one result shape.
export {
  ERROR_CODES,
  type ErrorCode,
  FlagrouteError,
  InvalidArgumentError,
  InvalidOutcomeError,
} from './errors.js';
// Experiments: A/B statistics, the outcome event log, power planning.
export {
  analyzeExperiment,
  type ExperimentOptions,
  type ExperimentReport,
  METRIC_DIRECTIONS,
  type MetricReport,
  type NoWinnerReason,
  reportFromEvents,
} from './experiment/analyze-experiment.js';
export type { ArmMoments } from './experiment/arm-moments.js';
export { EventAccumulator } from './experiment/event-accumulator.js';
export {
  type AnalysisUnit,
  type Arm,
  checkEvent,
  checkStats,
  type ExperimentStats,
  type OutcomeEvent,
} from './experiment/experiment-data.js';
export {
  logOutcomes,
  OutcomeEventLog,
  type OutcomeEventLogOptions,
  type OutcomeSink,
  outcomeEventOf,
} from './experiment/outcome-event-log.js';
export {
  type ExperimentPlan,
  type PlanInput,
  planExperiment,
} from './experiment/plan-experiment.js';
export {
  type PrometheusSourceOptions,
  statsFromPrometheus,
} from './experiment/prometheus-source.js';
export { type MalformedLine, type ReadEvents, readEventFiles } from './experiment/read-events.js';
export { renderReportHtml, renderReportText } from './experiment/render-report.js';
export { unitKey } from './experiment/unit-key.js';
export type { OutcomeSummary } from './metrics/outcome-stats.js';
export type { SeriesSummary } from './metrics/performance-tracker.js';
export {
  type Moments,
  OUTCOME_METRICS,
  type OutcomeMetric,
} from './metrics/sufficient-stats.js';
// Observability.
export { LATENCY_BUCKETS, registerMetrics } from './observability/prometheus.js';
export type { Result } from './result.js';
// The router: create, decide, record, change the rollout, watch.
export { createRouter, type RouterOptions } from './router/create-router.js';
export type { LabelledCount } from './router/decision-counts.js';
export type {
  ChangedKey,
  OutcomeRecordedEvent,
  ReloadErrorEvent,
  ReloadEvent,
  RollbackEvent,
  RolloutChangeEvent,
  RouterEvents,
} from './router/events.js';
export { ROUTER_EVENTS } from './router/events.js';
export type { OutcomeReport } from './router/outcome-checks.js';
// Figures: the summary of everything, one series (since start and recent), one span of one series.
export type { PerformanceSummary } from './router/performance-summary.js';
export type { ReloadOutcome } from './router/reload.js';
export type { RolloutChangeOptions, RuntimeOverride } from './router/rollout-control.js';
export { Router } from './router/router.js';
export type { Explanation, RouterStatus } from './router/router-status.js';
export {
  CONTEXT_FIELDS,
  InvalidContextError,
  SyncDecisionUnavailableError,
} from './routing/context.js';
export { STEP_NAMES, type StepName } from './routing/steps.js';
// Decisions.
export {
  COHORTS,
  type Cohort,
  type Decision,
  type ExplainStep,
  REASONS,
  type Reason,
  type RoutingContext,
} from './routing/types.js';
export type { RuleOutcome } from './rules/rule-evaluator.js';
export type { BreakerSnapshot, BreakerState, BreakerTransition } from './safety/circuit-breaker.js';
export type { GateTransition, QualityGateSnapshot } from './safety/quality-gate.js';
export type { RollbackTrigger } from './safety/rollback-monitor.js';
// The HTTP service.
export { createServer, DEFAULT_BODY_LIMIT, type ServerOptions } from './server/create-server.js';
export { HTTP_STATUSES } from './server/http-errors.js';
export { OFREP_FLAGS, OFREP_REASONS } from './server/ofrep-mapping.js';
export { type RunningServer, type ServeOptions, serve } from './server/serve.js';
export { type ChiSquareResult, chiSquare } from './simulation/chi-square.js';
export {
  type CohortFit,
  type SimulateOptions,
  type SimulationReport,
  simulate,
} from './simulation/simulate.js';
export type { WatchOptions } from './watch/config-watcher.js';
