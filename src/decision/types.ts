import type { Backend } from '../config/types.js';
import type { Covariates } from '../metrics/index.js';
import type { RuleOutcome } from '../rules/rule-evaluator.js';

/** Why a decision went the way it did, in the order of the decision tree. */
export const REASONS = [
  'feature_disabled',
  'forced_cohort',
  'circuit_breaker_open',
  'quality_threshold',
  'conditional_rule',
  'rollout_percentage',
  'user_cohort_assignment',
  'evaluation_error',
] as const;
/** Why a decision went the way it did. */
export type Reason = (typeof REASONS)[number];

/** The cohorts of an experiment. */
export const COHORTS = ['lightrag', 'perplexity', 'control'] as const;
/**
 * `lightrag`: candidate arm; `perplexity`: fallback arm of an A/B test; `control`: outside the
 * experiment, served by the fallback.
 */
export type Cohort = (typeof COHORTS)[number];

/** What a service knows about one query. */
export interface RoutingContext {
  userId?: string | undefined;
  sessionId?: string | undefined;
  queryText?: string | undefined;
  queryType?: string | undefined;
  region?: string | undefined;
  /** A non-negative score of the query's complexity, for rules. */
  queryComplexity?: number | undefined;
  /**
   * The caller's id of this request, stable across its retries: the shadow's selection hashes
   * it (else the query text) with the user, so a retry gets the same answer.
   */
  requestId?: string | undefined;
  /** Further facts for json-rules-engine rules; the named fields above take precedence. */
  attributes?: Readonly<Record<string, unknown>> | undefined;
}

/** Where one query goes and why. */
export interface Decision {
  readonly backend: Backend;
  readonly reason: Reason;
  /** The cohort assigned, or null when the tree stopped before assignment. */
  readonly cohort: Cohort | null;
  /** The user's bucket in [0, 100] (null when the tree stopped before assignment). */
  readonly bucket: number | null;
  /** The rollout percentage applied, after geography and runtime changes. */
  readonly rolloutPercentage: number;
  /** Every rule tried and whether it matched. */
  readonly rules: readonly RuleOutcome[];
  readonly environment: string;
  /** Content hash of the configuration the decision was made on. */
  readonly configVersion: string;
  /**
   * Milliseconds the decision took, when it was timed: with the router's `timeDecisions`
   * option, for `explain`, and while detailed logging is on; otherwise undefined (reading the
   * clock twice cost about a sixth of a decision).
   */
  readonly elapsedMs?: number | undefined;
  /**
   * Present when the decision took a trial slot of a half-open breaker: the trial period's
   * number. Its outcome (`recordOutcome(decision, ...)`) decides whether the breaker closes.
   */
  readonly breakerTrial?: number;
  /**
   * Present when the decision was picked for the shadow (docs/shadow.md): serve Perplexity's
   * answer, also call LightRAG with the same query, and report both results in one outcome.
   */
  readonly shadow?: 'lightrag';
  /**
   * Whether a geography rule lists the context's region (false: the environment's percentage
   * applied); null when the context named no region or the tree stopped before looking.
   */
  readonly regionMatched: boolean | null;
  /**
   * What the decision knew of the query before routing it (its type, length bucket,
   * complexity and region), for variance reduction in the experiment; set on decisions in an
   * experiment arm (cohort `lightrag` or `perplexity`) whose context gave any, else null.
   */
  readonly covariates: Covariates | null;
}

/** One step of the decision tree, for `explain`. */
export interface ExplainStep {
  readonly step: string;
  /** `taken`: this step decided; `passed`: it let the query through to the next. */
  readonly outcome: 'passed' | 'taken';
  readonly detail: string;
}
