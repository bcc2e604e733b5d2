/**
 * flagroute: routes each query to the candidate retrieval backend (LightRAG) or the incumbent
 * (Perplexity), and keeps that decision safe while the candidate is rolled out.
 *
 * @packageDocumentation
 */
export type { Clock } from './clock.js';
export { RULE_VARIABLES, SETTING_VARIABLES } from './config/env-overlay.js';
export {
  ConfigError,
  type ConfigIssue,
  type ConfigIssueCode,
  formatIssue,
} from './config/issues.js';
export { type LoadConfigOptions, type LoadedConfig, loadConfig } from './config/load-config.js';
export {
  BACKENDS,
  type Backend,
  type EnvironmentSettings,
  type RoutingRuleSpec,
  type RuleFileContent,
} from './config/types.js';
export { type ValidationReport, validateConfigDir } from './config/validate-config-dir.js';
export type { OutcomeSummary } from './metrics/outcome-stats.js';
export type { SeriesSummary } from './metrics/performance-tracker.js';
export { createRouter, type RouterOptions } from './router/create-router.js';
export type {
  ChangedKey,
  ReloadErrorEvent,
  ReloadEvent,
  RollbackEvent,
  RolloutChangeEvent,
  RouterEvents,
} from './router/events.js';
export type { OutcomeReport } from './router/outcome-checks.js';
export type { PerformanceSummary } from './router/performance-summary.js';
export type { RuntimeOverride } from './router/rollout-control.js';
export {
  type Explanation,
  Router,
  type RouterStatus,
} from './router/router.js';
export { userBucket } from './routing/bucket.js';
export { InvalidContextError, SyncDecisionUnavailableError } from './routing/context.js';
export {
  COHORTS,
  type Cohort,
  type Decision,
  type ExplainStep,
  REASONS,
  type Reason,
  type RoutingContext,
} from './routing/types.js';
export { codePointLength } from './rules/facts.js';
export type { RuleOutcome } from './rules/rule-evaluator.js';
export type { BreakerSnapshot, BreakerState, BreakerTransition } from './safety/circuit-breaker.js';
export type { GateTransition, QualityGateSnapshot } from './safety/quality-gate.js';
export type { RollbackTrigger } from './safety/rollback-monitor.js';
export type { WatchOptions } from './watch/config-watcher.js';
