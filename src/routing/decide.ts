import type { Backend, EnvironmentSettings } from '../config/types.js';
import type { RuleOutcome } from '../rules/rule-evaluator.js';
import { factsOf, identifierOf } from './context.js';
import type { RoutingSnapshot } from './snapshot.js';
import type { Cohort, Decision, ExplainStep, Reason, RoutingContext } from './types.js';

/** What the decision tree asks of the safety state. */
export interface SafetyView {
  /** Whether the breaker lets a request through to the candidate, without taking a trial slot. */
  breakerAllowsCandidate(): boolean;
  /**
   * Takes the permission to send one request to the candidate: false when refused, true when
   * the breaker is closed, the trial period's number when a half-open trial slot was taken.
   */
  acquireCandidate(): boolean | number;
  qualityGateOpen(): boolean;
}

const FALLBACK: Backend = 'perplexity';
const CANDIDATE: Backend = 'lightrag';
const NO_RULES: readonly RuleOutcome[] = Object.freeze([]);

function decision(
  snapshot: RoutingSnapshot,
  started: number,
  backend: Backend,
  reason: Reason,
  cohort: Cohort | null,
  bucket: number | null,
  rolloutPercentage: number,
  rules: readonly RuleOutcome[],
): Decision {
  return {
    backend,
    reason,
    cohort,
    bucket,
    rolloutPercentage,
    rules,
    environment: snapshot.config.environment,
    configVersion: snapshot.config.version,
    elapsedMs: performance.now() - started,
  };
}

/** Both lists in one array; a plain loop, since concat on frozen arrays leaves V8's fast path. */
function joinRules(first: readonly RuleOutcome[], second: readonly RuleOutcome[]): RuleOutcome[] {
  const joined = first.slice();
  for (const outcome of second) joined.push(outcome);
  return joined;
}

function describeRules(outcomes: readonly RuleOutcome[]): string {
  return outcomes
    .map(
      (outcome) =>
        `${outcome.name} ${outcome.matched ? 'matched' : 'did not match'} ${JSON.stringify(outcome.facts)}`,
    )
    .join('; ');
}

/** Steps 1 to 4: the switches and the safety state, which need no facts. */
function safetyStop(
  settings: Readonly<EnvironmentSettings>,
  safety: SafetyView,
  trace: ExplainStep[] | undefined,
): { backend: Backend; reason: Reason; cohort: Cohort | null } | undefined {
  if (!settings.integration_enabled) {
    trace?.push({
      step: '1. integration enabled',
      outcome: 'taken',
      detail: 'integration_enabled is false: everything goes to the fallback',
    });
    return { backend: FALLBACK, reason: 'feature_disabled', cohort: null };
  }
  trace?.push({
    step: '1. integration enabled',
    outcome: 'passed',
    detail: 'integration_enabled is true',
  });
  const forced = settings.force_user_cohort;
  if (forced !== null) {
    trace?.push({
      step: '2. forced cohort',
      outcome: 'taken',
      detail: `force_user_cohort is ${forced}`,
    });
    return { backend: forced, reason: 'forced_cohort', cohort: forced };
  }
  trace?.push({ step: '2. forced cohort', outcome: 'passed', detail: 'force_user_cohort is null' });
  if (settings.enable_circuit_breaker && !safety.breakerAllowsCandidate()) {
    trace?.push({
      step: '3. circuit breaker',
      outcome: 'taken',
      detail: 'the breaker is open (or half-open with no trial slot left)',
    });
    return { backend: FALLBACK, reason: 'circuit_breaker_open', cohort: null };
  }
  trace?.push({
    step: '3. circuit breaker',
    outcome: 'passed',
    detail: settings.enable_circuit_breaker
      ? 'the breaker lets requests through'
      : 'the breaker is disabled',
  });
  if (settings.enable_quality_metrics && !safety.qualityGateOpen()) {
    trace?.push({
      step: '4. quality gate',
      outcome: 'taken',
      detail: `recent candidate quality is below ${settings.min_quality_threshold}`,
    });
    return { backend: FALLBACK, reason: 'quality_threshold', cohort: null };
  }
  trace?.push({
    step: '4. quality gate',
    outcome: 'passed',
    detail: settings.enable_quality_metrics
      ? 'the quality gate is open'
      : 'quality metrics are disabled',
  });
  return undefined;
}

/** What one decision carries from step to step. */
interface Run {
  readonly snapshot: RoutingSnapshot;
  readonly safety: SafetyView;
  readonly context: RoutingContext;
  readonly trace: ExplainStep[] | undefined;
  readonly started: number;
}

/**
 * The decision tree of SEMANTICS.md, first match wins. `context` must already be valid.
 * `trace`, when given, receives each step for `explain`; without it the hot path builds no
 * strings. The decision comes back synchronously unless a rule had to run on `Engine.run`.
 */
export function decide(
  snapshot: RoutingSnapshot,
  safety: SafetyView,
  context: RoutingContext,
  trace?: ExplainStep[],
): Decision | Promise<Decision> {
  const started = performance.now();
  const settings = snapshot.settings;
  const stop = safetyStop(settings, safety, trace);
  if (stop) {
    return decision(
      snapshot,
      started,
      stop.backend,
      stop.reason,
      stop.cohort,
      null,
      settings.rollout_percentage,
      NO_RULES,
    );
  }
  const run: Run = { snapshot, safety, context, trace, started };
  if (!settings.enable_conditional_routing) {
    trace?.push({
      step: '5. conditional rules',
      outcome: 'passed',
      detail: 'conditional routing is off',
    });
    return afterEligibility(run, NO_RULES);
  }
  const pending = snapshot.evaluator.evaluateEligibility(factsOf(context));
  return pending instanceof Promise
    ? pending.then((eligibility) => checkEligibility(run, eligibility))
    : checkEligibility(run, pending);
}

function checkEligibility(
  run: Run,
  eligibility: readonly RuleOutcome[],
): Decision | Promise<Decision> {
  const { snapshot, trace, started } = run;
  let eligible = false;
  for (const outcome of eligibility) if (outcome.matched) eligible = true;
  if (!eligible) {
    trace?.push({
      step: '5. conditional rules',
      outcome: 'taken',
      detail:
        eligibility.length === 0
          ? 'conditional routing is on but no eligibility rule is loaded'
          : `no rule matched: ${describeRules(eligibility)}`,
    });
    return decision(
      snapshot,
      started,
      FALLBACK,
      'conditional_rule',
      null,
      null,
      snapshot.settings.rollout_percentage,
      eligibility,
    );
  }
  trace?.push({
    step: '5. conditional rules',
    outcome: 'passed',
    detail: `eligible (rules combine with OR): ${describeRules(eligibility)}`,
  });
  return afterEligibility(run, eligibility);
}

function afterEligibility(
  run: Run,
  eligibility: readonly RuleOutcome[],
): Decision | Promise<Decision> {
  const region = run.context.region;
  if (region === undefined) return assign(run, eligibility, NO_RULES);
  const pending = run.snapshot.evaluator.evaluateGeography(region);
  return pending instanceof Promise
    ? pending.then((geography) => assign(run, eligibility, geography))
    : assign(run, eligibility, pending);
}

function assign(
  run: Run,
  eligibility: readonly RuleOutcome[],
  geography: readonly RuleOutcome[],
): Decision {
  const { snapshot, safety, context, trace, started } = run;
  const settings = snapshot.settings;
  const rules =
    geography.length === 0
      ? eligibility
      : eligibility.length === 0
        ? geography
        : joinRules(eligibility, geography);
  let percentage = settings.rollout_percentage;
  const region = context.region;
  if (region !== undefined) {
    let regional: number | undefined;
    for (const outcome of geography) if (outcome.matched) regional = outcome.rolloutPercentage;
    // rollout_percentage 0 is the kill switch: a rollback holds in every region.
    if (regional !== undefined && percentage > 0) percentage = regional;
    trace?.push({
      step: '6. rollout percentage',
      outcome: 'passed',
      detail:
        regional === undefined
          ? `no geography rule for region ${region}: the environment's ${settings.rollout_percentage} % applies`
          : settings.rollout_percentage > 0
            ? `region ${region} has its own rollout: ${regional} %`
            : `region ${region} would have ${regional} %, but the environment's rollout is 0 (rolled back)`,
    });
  }

  const identifier = identifierOf(context);
  const bucket = snapshot.bucketOf(identifier);
  const inRollout = percentage > 0 && bucket <= percentage;
  let cohort: Cohort;
  let reason: Reason;
  if (settings.enable_ab_testing) {
    reason = 'user_cohort_assignment';
    if (percentage > 0 && bucket <= percentage / 2) cohort = 'lightrag';
    else if (inRollout) cohort = 'perplexity';
    else cohort = 'control';
  } else {
    reason = 'rollout_percentage';
    cohort = inRollout ? 'lightrag' : 'control';
  }
  const backend = cohort === 'lightrag' ? CANDIDATE : FALLBACK;
  if (trace) {
    const who = context.userId
      ? `userId "${identifier}"`
      : context.sessionId
        ? `sessionId "${identifier}"`
        : 'the anonymous identity';
    const against =
      percentage === settings.rollout_percentage
        ? `the environment's ${percentage} %`
        : `region ${String(region)}'s ${percentage} %`;
    const arms = settings.enable_ab_testing ? ` (A/B: candidate arm up to ${percentage / 2})` : '';
    trace.push({
      step: '7. assignment',
      outcome: 'taken',
      detail: `bucket ${bucket.toFixed(4)} of ${who} against ${against}${arms}: cohort ${cohort}, backend ${backend}`,
    });
  }
  const admission =
    backend === CANDIDATE && settings.enable_circuit_breaker ? safety.acquireCandidate() : true;
  if (admission === false) {
    trace?.push({
      step: '3. circuit breaker',
      outcome: 'taken',
      detail: 'the last half-open trial slot was taken meanwhile',
    });
    return decision(
      snapshot,
      started,
      FALLBACK,
      'circuit_breaker_open',
      null,
      bucket,
      percentage,
      rules,
    );
  }
  const result = decision(snapshot, started, backend, reason, cohort, bucket, percentage, rules);
  const extra = result as { breakerTrial?: number; regionMatched?: boolean };
  if (region !== undefined) extra.regionMatched = geography.some((outcome) => outcome.matched);
  if (typeof admission === 'number') extra.breakerTrial = admission;
  return result;
}
