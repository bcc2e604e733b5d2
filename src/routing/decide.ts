import type { Backend } from '../config/types.js';
import type { RuleOutcome } from '../rules/rule-evaluator.js';
import { factsOf, identifierOf } from './context.js';
import type { RoutingSnapshot } from './snapshot.js';
import type { Cohort, Decision, ExplainStep, Reason, RoutingContext } from './types.js';

/** What the decision tree asks of the safety state. */
export interface SafetyView {
  /** Whether the breaker lets a request through to the candidate, without taking a trial slot. */
  breakerAllowsCandidate(): boolean;
  /** Takes the permission to send one request to the candidate (a trial slot when half-open). */
  acquireCandidate(): boolean;
  qualityGateOpen(): boolean;
}

const FALLBACK: Backend = 'perplexity';
const CANDIDATE: Backend = 'lightrag';

/**
 * The decision tree of SEMANTICS.md, first match wins. `context` must already be valid.
 * `trace`, when given, receives each step for `explain`.
 */
export async function decide(
  snapshot: RoutingSnapshot,
  safety: SafetyView,
  context: RoutingContext,
  trace?: ExplainStep[],
): Promise<Decision> {
  const started = performance.now();
  const settings = snapshot.settings;
  const rules: RuleOutcome[] = [];
  let rolloutPercentage = settings.rollout_percentage;
  const finish = (
    backend: Backend,
    reason: Reason,
    cohort: Cohort | null,
    bucket: number | null,
  ): Decision => ({
    backend,
    reason,
    cohort,
    bucket,
    rolloutPercentage,
    rules,
    environment: snapshot.config.environment,
    configVersion: snapshot.config.version,
    elapsedMs: performance.now() - started,
  });
  // Details are built only when explaining: the hot path builds no strings.
  const step = (name: string, outcome: ExplainStep['outcome'], detail: () => string) => {
    trace?.push({ step: name, outcome, detail: detail() });
  };

  if (!settings.integration_enabled) {
    step(
      '1. integration enabled',
      'taken',
      () => 'integration_enabled is false: everything goes to the fallback',
    );
    return finish(FALLBACK, 'feature_disabled', null, null);
  }
  step('1. integration enabled', 'passed', () => 'integration_enabled is true');

  const forced = settings.force_user_cohort;
  if (forced !== null) {
    step('2. forced cohort', 'taken', () => `force_user_cohort is ${forced}`);
    return finish(forced, 'forced_cohort', forced, null);
  }
  step('2. forced cohort', 'passed', () => 'force_user_cohort is null');

  if (settings.enable_circuit_breaker && !safety.breakerAllowsCandidate()) {
    step(
      '3. circuit breaker',
      'taken',
      () => 'the breaker is open (or half-open with no trial slot left)',
    );
    return finish(FALLBACK, 'circuit_breaker_open', null, null);
  }
  step('3. circuit breaker', 'passed', () =>
    settings.enable_circuit_breaker
      ? 'the breaker lets requests through'
      : 'the breaker is disabled',
  );

  if (settings.enable_quality_metrics && !safety.qualityGateOpen()) {
    step(
      '4. quality gate',
      'taken',
      () => `recent candidate quality is below ${settings.min_quality_threshold}`,
    );
    return finish(FALLBACK, 'quality_threshold', null, null);
  }
  step('4. quality gate', 'passed', () =>
    settings.enable_quality_metrics ? 'the quality gate is open' : 'quality metrics are disabled',
  );

  const facts = factsOf(context);
  if (settings.enable_conditional_routing) {
    const eligibility = await snapshot.evaluator.evaluate('eligibility', facts);
    rules.push(...eligibility);
    const tried = () =>
      eligibility
        .map(
          (outcome) =>
            `${outcome.name} ${outcome.matched ? 'matched' : 'did not match'} ${JSON.stringify(outcome.facts)}`,
        )
        .join('; ');
    if (!eligibility.some((outcome) => outcome.matched)) {
      step('5. conditional rules', 'taken', () =>
        eligibility.length === 0
          ? 'conditional routing is on but no eligibility rule is loaded'
          : `no rule matched: ${tried()}`,
      );
      return finish(FALLBACK, 'conditional_rule', null, null);
    }
    step('5. conditional rules', 'passed', () => `eligible (rules combine with OR): ${tried()}`);
  } else {
    step('5. conditional rules', 'passed', () => 'conditional routing is off');
  }

  if (facts.region !== undefined) {
    const geography = await snapshot.evaluator.evaluate('geography', facts);
    rules.push(...geography);
    const region = geography.find((outcome) => outcome.matched);
    const regional = region?.rolloutPercentage;
    // rollout_percentage 0 is the kill switch: a rollback holds in every region.
    if (regional !== undefined && settings.rollout_percentage > 0) rolloutPercentage = regional;
    step('6. rollout percentage', 'passed', () =>
      regional === undefined
        ? `no geography rule for region ${String(facts.region)}: the environment's ${settings.rollout_percentage} % applies`
        : settings.rollout_percentage > 0
          ? `region ${String(facts.region)} has its own rollout: ${regional} %`
          : `region ${String(facts.region)} would have ${regional} %, but the environment's rollout is 0 (rolled back)`,
    );
  }

  const identifier = identifierOf(context);
  const bucket = snapshot.bucketOf(identifier);
  const percentage = rolloutPercentage;
  const inRollout = percentage > 0 && bucket <= percentage;
  let backend: Backend;
  let cohort: Cohort;
  let reason: Reason;
  if (settings.enable_ab_testing) {
    reason = 'user_cohort_assignment';
    if (percentage > 0 && bucket <= percentage / 2) cohort = 'lightrag';
    else if (inRollout) cohort = 'perplexity';
    else cohort = 'control';
    backend = cohort === 'lightrag' ? CANDIDATE : FALLBACK;
  } else {
    reason = 'rollout_percentage';
    cohort = inRollout ? 'lightrag' : 'control';
    backend = inRollout ? CANDIDATE : FALLBACK;
  }
  const where =
    percentage === settings.rollout_percentage
      ? `the environment's ${percentage} %`
      : `region ${String(facts.region)}'s ${percentage} %`;
  step(
    '7. assignment',
    'taken',
    () =>
      `bucket ${bucket.toFixed(4)} of ${context.userId !== undefined ? `userId "${identifier}"` : context.sessionId !== undefined ? `sessionId "${identifier}"` : 'the anonymous identity'} against ${where}${settings.enable_ab_testing ? ` (A/B: candidate arm up to ${percentage / 2})` : ''}: cohort ${cohort}, backend ${backend}`,
  );
  if (backend === CANDIDATE && settings.enable_circuit_breaker && !safety.acquireCandidate()) {
    step('3. circuit breaker', 'taken', () => 'the last half-open trial slot was taken meanwhile');
    return finish(FALLBACK, 'circuit_breaker_open', null, bucket);
  }
  return finish(backend, reason, cohort, bucket);
}
