import type { OutcomeMetric } from '../metrics/index.js';
/**
 * Types of the configuration as product owners write it. Keys mirror the YAML files
 * (snake_case, as in the guide's `config/environments.yaml`), so that a key in a file, in the
 * schema, in `flagroute config` and in this type is spelled the same way.
 */

/** The backends a query can be routed to. */
export const BACKENDS = ['lightrag', 'perplexity'] as const;
/** A backend: `lightrag` is the candidate being rolled out, `perplexity` the fallback. */
export type Backend = (typeof BACKENDS)[number];
/** The backend being rolled out. */
export const CANDIDATE = BACKENDS[0];
/** The incumbent, where traffic goes whenever anything says no. */
export const FALLBACK = BACKENDS[1];

/** The pino levels `log_level` accepts. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings of the breaker's failure-rate mode. */
export interface CircuitBreakerRateSettings {
  failure_rate: number;
  window_size: number;
  minimum_calls: number;
  slow_call_is_failure: boolean;
}

/** Settings of the quality gate. */
export interface QualityGateSettings {
  window_size: number;
  min_samples: number;
  cooldown_seconds: number;
}

/** Conditions that roll the rollout back to 0. */
export interface RollbackTriggerSettings {
  enabled: boolean;
  error_rate: number;
  min_quality: number;
  on_circuit_breaker_open: boolean;
  response_time_seconds: number;
  min_samples: number;
  window_size: number;
  persist: boolean;
}

/** One stage of a gradual rollout. */
export interface RolloutStage {
  /**
   * The share of users served LightRAG; on a shadow stage, the share of the eligible queries
   * Perplexity serves that LightRAG also answers in the shadow (filled in at load: default 100).
   */
  percentage: number;
  /** A shadow stage: no user on LightRAG, judged on paired shadow outcomes (the first stage only). */
  shadow: boolean;
  /** A shadow stage's pairs needed since it started (filled in at load for a shadow stage: default 500). */
  min_pairs?: number;
  /** The least time at the stage before it may advance: a duration such as `30m`, `1h`, `2d`. */
  hold: string;
  /** Outcomes each arm must have at this stage before it is judged. */
  min_units: number;
  /** Whether a person must approve before the plan enters this stage. */
  approval: boolean;
  /** How long the stage may wait for data before the plan pauses (default: factor x hold). */
  max_hold?: string;
}

/**
 * What the plan does when a guardrail fails, mildest first: `hold` (the stage does not advance
 * while it fails), `pause` (a person decides), `step_down` (back to the last passing stage; at
 * the first stage, a roll back), `roll_back` (the kill switch).
 */
export const GUARDRAIL_ACTIONS = ['hold', 'pause', 'step_down', 'roll_back'] as const;
/** A response to a failed guardrail, from {@link GUARDRAIL_ACTIONS}. */
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];

/** An action and its hysteresis: it is taken once the guardrail fails `for` looks in a row. */
export interface ActionSpec {
  action: GuardrailAction;
  for: number;
}

/** The checks of a plan that are not a regression of one metric, each with its own action. */
export const PLAN_CHECKS = [
  'error_rate',
  'min_quality',
  'p95_response_time',
  'circuit_breaker',
  'multiple_exposures',
] as const;
/** A check from {@link PLAN_CHECKS}. */
export type PlanCheck = (typeof PLAN_CHECKS)[number];

/** How much worse LightRAG may be before a regression counts: of the baseline's mean, or in the metric's unit. */
export type RegressionMargin = { relative: number } | { absolute: number };

/** A regression guardrail on one metric, with its own margin and action. */
export interface MetricGuardrail {
  metric: OutcomeMetric;
  /** Default: `tolerance` relative. */
  margin?: RegressionMargin;
  /** Default: the `regression` action. */
  action?: GuardrailAction;
  /** Default: the `regression` action's `for`. */
  for?: number;
}

/**
 * How the regression guardrails adjust for the queries' covariates: `none` (the raw per-user
 * comparison), `regression` (on every covariate column) or `post_stratification` (on the query
 * type's strata).
 */
export const GUARDRAIL_ADJUSTMENTS = ['none', 'regression', 'post_stratification'] as const;
/** An adjustment from {@link GUARDRAIL_ADJUSTMENTS}. */
export type GuardrailAdjustment = (typeof GUARDRAIL_ADJUSTMENTS)[number];

/** The rollout plan's guardrails beyond `rollback_triggers`. */
export interface PlanGuardrails {
  /** A metric's name (the plan's defaults) or a guardrail with its own margin and action. */
  metrics: (OutcomeMetric | MetricGuardrail)[];
  tolerance: number;
  /** The false-alarm rate of the whole plan: every metric, every stage and re-run together. */
  alpha: number;
  sequential_tuning: number;
  /** Judge regressions on request-level sums (Prometheus) too; not valid with repeat users. */
  request_level: boolean;
  /**
   * Judge regressions on the per-user estimate adjusted for the queries' covariates (where the
   * source has them; else the raw one, and the reading says so). Default `none`.
   */
  adjustment: GuardrailAdjustment;
  /** The largest share of a stage's units seen in both arms before the `multiple_exposures` check fails. */
  max_multiple_exposures: number;
  /** The action of each check, and the regressions' default (`regression`). */
  actions: Record<PlanCheck | 'regression', ActionSpec>;
}

/** A gradual rollout the controller drives. */
export interface RolloutPlanSpec {
  stages: RolloutStage[];
  max_hold_factor: number;
  guardrails: PlanGuardrails;
  webhooks: string[];
}

/**
 * The kill switch as the environment file holds it: while present, the rollout is 0 % everywhere,
 * above every other layer.
 */
export interface RollbackBlock {
  at: string;
  reason: string;
  trigger?: 'manual' | 'error_rate' | 'quality' | 'circuit_breaker' | 'response_time';
  previous_percentage?: number;
}

/**
 * The runtime layer as the environment file holds it (file mode's runtime store): what an
 * operator or the rollout plan set, above the file's value and every variable.
 */
export interface RuntimeBlock {
  rollout_percentage: number;
  set_by: 'operator' | 'plan';
  reason: string;
  at: string;
  /** The shadow share it serves, above `shadow.percentage`; absent: the file's. */
  shadow_percentage?: number;
}

/** The shadow duel's selection (docs/shadow.md). */
export interface ShadowSettings {
  /** Percent of eligible queries served by Perplexity at assignment also sent to LightRAG. */
  percentage: number;
  /** The most shadow calls one process asks for per second. */
  max_per_second: number;
}

/**
 * How experiment reports of the environment treat the heavy-tailed metrics
 * (docs/experiments.md#capping-heavy-tailed-metrics-winsorized).
 */
export interface ExperimentBlock {
  /** Per metric, the percentile of each arm's values it is winsorized at. */
  capping: { response_time?: number; cost_per_query?: number };
  /** The percentiles of response time the tail test compares. */
  tail_percentiles: number[];
}

/** Every setting of one environment, defaults filled in. */
export interface EnvironmentSettings {
  integration_enabled: boolean;
  rollout_percentage: number;
  /** The kill switch, or null. */
  rollback: RollbackBlock | null;
  /** The runtime layer, or null. */
  runtime: RuntimeBlock | null;
  /** The shadow duel's selection. */
  shadow: ShadowSettings;
  /** Capping and the tail test of experiment reports. */
  experiment: ExperimentBlock;
  enable_ab_testing: boolean;
  enable_circuit_breaker: boolean;
  circuit_breaker_threshold: number;
  circuit_breaker_recovery_timeout: number;
  circuit_breaker_half_open_trials: number;
  circuit_breaker_mode: 'consecutive' | 'rate';
  circuit_breaker_rate: CircuitBreakerRateSettings;
  enable_quality_metrics: boolean;
  min_quality_threshold: number;
  quality_gate: QualityGateSettings;
  user_hash_salt: string;
  force_user_cohort: Backend | null;
  enable_conditional_routing: boolean;
  log_level: LogLevel;
  enable_detailed_logging: boolean;
  rule_files: string[];
  rollback_triggers: RollbackTriggerSettings;
  rollout_plan: RolloutPlanSpec;
}

/** The guide's shorthand: a query whose length in code points lies in [min, max]. */
export interface QueryLengthRuleSpec {
  type: 'query_length';
  description?: string;
  min_length?: number;
  max_length?: number;
}

/** The guide's shorthand: a query whose type is one of `allowed_types`. */
export interface QueryTypeRuleSpec {
  type: 'query_type';
  description?: string;
  allowed_types: string[];
}

/** A json-rules-engine condition tree, as json-rules-engine accepts it. */
export interface EngineConditionSpec {
  all?: EngineConditionSpec[];
  any?: EngineConditionSpec[];
  not?: EngineConditionSpec;
  condition?: string;
  fact?: string;
  operator?: string;
  value?: unknown;
  path?: string;
  params?: Record<string, unknown>;
  name?: string;
  priority?: number;
}

/** A full json-rules-engine rule. */
export interface EngineRuleSpec {
  description?: string;
  name?: string;
  priority?: number;
  conditions: EngineConditionSpec;
  event?: { type: string; params?: Record<string, unknown> };
}

/** Any eligibility rule a rule file may hold. */
export type RoutingRuleSpec = QueryLengthRuleSpec | QueryTypeRuleSpec | EngineRuleSpec;

/** The rollout percentage of one region. */
export interface RegionRollout {
  rollout_percentage: number;
}

/** The content of one rule file. */
export interface RuleFileContent {
  routing_rules?: Record<string, RoutingRuleSpec>;
  geographic_routing?: Record<string, RegionRollout>;
}
