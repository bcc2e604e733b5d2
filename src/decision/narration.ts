import type { RuleOutcome } from '../rules/rule-evaluator.js';
import { identifierOf } from './context.js';
import type { Run, StepName } from './steps.js';
import type { ExplainStep } from './types.js';

/** How each step is labelled in `explain`, numbered as in the guide's decision tree. */
export const STEP_LABELS: Readonly<Record<StepName, string>> = {
  integration: '1. integration enabled',
  forced_cohort: '2. forced cohort',
  circuit_breaker: '3. circuit breaker',
  quality_gate: '4. quality gate',
  eligibility: '5. conditional rules',
  geography: '6. rollout percentage',
  assignment: '7. assignment',
};

function describeRules(outcomes: readonly RuleOutcome[]): string {
  return outcomes
    .map(
      (outcome) =>
        `${outcome.name} ${outcome.matched ? 'matched' : 'did not match'} ${JSON.stringify(outcome.facts)}`,
    )
    .join('; ');
}

type Narrator = (run: Run, taken: boolean) => string | undefined;

const NARRATORS: Readonly<Record<StepName, Narrator>> = {
  integration: (_, taken) =>
    taken
      ? 'integration_enabled is false: everything goes to the fallback'
      : 'integration_enabled is true',
  forced_cohort: (run) => `force_user_cohort is ${run.settings.force_user_cohort ?? 'null'}`,
  circuit_breaker: (run, taken) => {
    if (taken) return 'the breaker is open (or half-open with no trial slot left)';
    return run.settings.enable_circuit_breaker
      ? 'the breaker lets requests through'
      : 'the breaker is disabled';
  },
  quality_gate: (run, taken) => {
    if (taken) return `recent candidate quality is below ${run.settings.min_quality_threshold}`;
    return run.settings.enable_quality_metrics
      ? 'the quality gate is open'
      : 'quality metrics are disabled';
  },
  eligibility: (run, taken) => {
    if (!run.settings.enable_conditional_routing) return 'conditional routing is off';
    const outcomes = run.eligibility ?? [];
    if (!taken) return `eligible (rules combine with OR): ${describeRules(outcomes)}`;
    return outcomes.length === 0
      ? 'conditional routing is on but no eligibility rule is loaded'
      : `no rule matched: ${describeRules(outcomes)}`;
  },
  geography: narrateGeography,
  assignment: narrateAssignment,
};

function narrateGeography(run: Run): string | undefined {
  const region = run.context.region;
  if (region === undefined) return undefined;
  const environment = run.settings.rollout_percentage;
  const { killSwitch, regionCap } = run.snapshot.rollout;
  const regional = run.geography.find((outcome) => outcome.matched)?.rolloutPercentage;
  if (regional === undefined) {
    return `no geography rule for region ${region}: the environment's ${environment} % applies`;
  }
  if (killSwitch !== null) {
    return `region ${region} would have ${regional} %, but ${killSwitch} holds every region at 0`;
  }
  if (environment === 0) {
    return `region ${region} would have ${regional} %, but the environment's rollout is 0`;
  }
  return regionCap !== null && regional > regionCap
    ? `region ${region} has its own ${regional} %, capped at the runtime layer's ${regionCap} %`
    : `region ${region} has its own rollout: ${regional} %`;
}

function narrateAssignment(run: Run): string {
  const { context, settings, percentage } = run;
  const identifier = identifierOf(context);
  const who = context.userId
    ? `userId "${identifier}"`
    : context.sessionId
      ? `sessionId "${identifier}"`
      : 'the anonymous identity';
  const against = run.regionMatched
    ? `region ${String(context.region)}'s ${percentage} %`
    : `the environment's ${percentage} %`;
  const arms = settings.enable_ab_testing ? ` (A/B: candidate arm up to ${percentage / 2})` : '';
  const outcome = run.trialSlotLost
    ? 'cohort lightrag, but the half-open breaker gave its last trial slot away meanwhile: backend perplexity'
    : `cohort ${run.cohort}, backend ${run.backend}`;
  return `bucket ${(run.bucket ?? 0).toFixed(4)} of ${who} against ${against}${arms}: ${outcome}${shadowText(run)}`;
}

/** What the shadow did with a query Perplexity serves, when a shadow percentage is set. */
function shadowText(run: Run): string {
  const share = run.settings.shadow.percentage;
  if (share <= 0 || run.backend !== 'perplexity' || run.trialSlotLost) return '';
  const { context } = run;
  const key = context.requestId ?? context.queryText ?? '';
  const draw = run.snapshot.shadowDrawOf(identifierOf(context), key).toFixed(4);
  if (run.shadow) {
    return `; shadow draw ${draw} within ${share} %: picked for the shadow, also call LightRAG and report both`;
  }
  return Number(draw) > share
    ? `; shadow draw ${draw} above ${share} %: no shadow`
    : `; shadow draw ${draw} within ${share} %, but the breaker is not closed or this process's shadow budget is spent: no shadow`;
}

/** Adds the line `explain` shows for one step, if the step has anything to say. */
export function narrate(run: Run, step: StepName, taken: boolean): void {
  const detail = NARRATORS[step](run, taken);
  if (detail === undefined) return;
  const entry: ExplainStep = {
    step: STEP_LABELS[step],
    outcome: taken ? 'taken' : 'passed',
    detail,
  };
  run.trace?.push(entry);
}
