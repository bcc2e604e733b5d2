import { type Backend, CANDIDATE, type EnvironmentSettings, FALLBACK } from '../config/types.js';
import type { RuleOutcome } from '../rules/rule-evaluator.js';
import { factsOf, identifierOf } from './context.js';
import type { RoutingSnapshot } from './snapshot.js';
import type { Cohort, ExplainStep, Reason, RoutingContext } from './types.js';

/** The steps of the decision tree, in order (docs/semantics.md); the first that stops decides. */
export const STEP_NAMES = [
  'integration',
  'forced_cohort',
  'circuit_breaker',
  'quality_gate',
  'eligibility',
  'geography',
  'assignment',
] as const;
/** A step of the decision tree. */
export type StepName = (typeof STEP_NAMES)[number];

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
  /**
   * Takes one shadow call: true only while the breaker is closed (not open, not half-open:
   * its trials are for served traffic) and the process's shadow budget has one left.
   */
  admitShadow(): boolean;
}

/** A step's verdict: `stop` (the run holds the result), `next`, or that verdict once rules ran. */
export type Verdict = 'stop' | 'next' | Promise<'stop' | 'next'>;
/** The verdict of a step that never waits for json-rules-engine. */
type Settled = 'stop' | 'next';

/** Everything one decision reads and finds, from the first step to the result. */
export interface Run {
  readonly snapshot: RoutingSnapshot;
  readonly settings: Readonly<EnvironmentSettings>;
  readonly safety: SafetyView;
  readonly context: RoutingContext;
  readonly trace: ExplainStep[] | undefined;
  /** When the run began (`performance.now()`), or -1 when the decision is not timed. */
  readonly started: number;
  backend: Backend;
  reason: Reason;
  cohort: Cohort | null;
  bucket: number | null;
  percentage: number;
  /**
   * The eligibility rules' outcomes, this run's own array (the decision's `rules` grow it);
   * null until the step ran.
   */
  eligibility: RuleOutcome[] | null;
  geography: readonly RuleOutcome[];
  /** A geography rule listed the context's region (null: no region, or not reached). */
  regionMatched: boolean | null;
  /** The half-open trial period whose slot this decision took, if any. */
  breakerTrial: number | null;
  /** Assignment chose the candidate but the breaker's last trial slot was gone. */
  trialSlotLost: boolean;
  /** Picked for the shadow (LightRAG also answers, unserved). */
  shadow: boolean;
}

const NO_RULES: readonly RuleOutcome[] = Object.freeze([]);

/**
 * `then` in a function of its own: a closure over `run` in a step would make V8 allocate a
 * context on every call, even on the synchronous path.
 */
export function later<T, R>(
  pending: Promise<T>,
  run: Run,
  next: (run: Run, value: T) => R,
): Promise<Awaited<R>> {
  return pending.then((value) => next(run, value)) as Promise<Awaited<R>>;
}

/**
 * A fresh run: the fallback, until a step says otherwise. Timed when asked: two clock reads
 * measured about a sixth of a decision's time, for a number nobody reads on most paths.
 */
export function startRun(
  snapshot: RoutingSnapshot,
  safety: SafetyView,
  context: RoutingContext,
  trace: ExplainStep[] | undefined,
  timed: boolean,
): Run {
  const settings = snapshot.settings;
  return {
    snapshot,
    settings,
    safety,
    context,
    trace,
    started: timed ? performance.now() : -1,
    backend: FALLBACK,
    reason: 'evaluation_error',
    cohort: null,
    bucket: null,
    percentage: settings.rollout_percentage,
    eligibility: null,
    geography: NO_RULES,
    regionMatched: null,
    breakerTrial: null,
    trialSlotLost: false,
    shadow: false,
  };
}

function fallBack(run: Run, reason: Reason): 'stop' {
  run.backend = FALLBACK;
  run.reason = reason;
  return 'stop';
}

function integration(run: Run): Settled {
  return run.settings.integration_enabled ? 'next' : fallBack(run, 'feature_disabled');
}

function forcedCohort(run: Run): Settled {
  const forced = run.settings.force_user_cohort;
  if (forced === null) return 'next';
  run.backend = forced;
  run.cohort = forced;
  run.reason = 'forced_cohort';
  return 'stop';
}

function circuitBreaker(run: Run): Settled {
  const guarded = run.settings.enable_circuit_breaker;
  return guarded && !run.safety.breakerAllowsCandidate()
    ? fallBack(run, 'circuit_breaker_open')
    : 'next';
}

function qualityGate(run: Run): Settled {
  const gated = run.settings.enable_quality_metrics;
  return gated && !run.safety.qualityGateOpen() ? fallBack(run, 'quality_threshold') : 'next';
}

function eligibility(run: Run): Verdict {
  if (!run.settings.enable_conditional_routing) return 'next';
  const pending = run.snapshot.evaluator.evaluateEligibility(factsOf(run.context));
  return pending instanceof Promise
    ? later(pending, run, judgeEligibility)
    : judgeEligibility(run, pending);
}

/** Eligibility rules combine with OR: one match makes the query eligible. */
function judgeEligibility(run: Run, outcomes: RuleOutcome[]): 'stop' | 'next' {
  run.eligibility = outcomes;
  for (const outcome of outcomes) if (outcome.matched) return 'next';
  return fallBack(run, 'conditional_rule');
}

function geography(run: Run): Verdict {
  const region = run.context.region;
  if (region === undefined) return 'next';
  const pending = run.snapshot.evaluator.evaluateGeography(region);
  return pending instanceof Promise
    ? later(pending, run, applyGeography)
    : applyGeography(run, pending);
}

function applyGeography(run: Run, outcomes: readonly RuleOutcome[]): 'next' {
  run.geography = outcomes;
  let regional: number | undefined;
  for (const outcome of outcomes) if (outcome.matched) regional = outcome.rolloutPercentage;
  run.regionMatched = regional !== undefined;
  // An environment at 0 % (the kill switch) holds every region at 0; the runtime layer (an
  // operator's change, a plan stage) caps every region.
  if (regional !== undefined && run.percentage > 0) {
    const cap = run.snapshot.rollout.regionCap;
    run.percentage = cap === null || regional <= cap ? regional : cap;
  }
  return 'next';
}

function assignment(run: Run): Settled {
  const { settings, percentage } = run;
  const bucket = run.snapshot.bucketOf(identifierOf(run.context));
  run.bucket = bucket;
  const inRollout = percentage > 0 && bucket <= percentage;
  if (settings.enable_ab_testing) {
    run.reason = 'user_cohort_assignment';
    run.cohort =
      percentage > 0 && bucket <= percentage / 2
        ? 'lightrag'
        : inRollout
          ? 'perplexity'
          : 'control';
  } else {
    run.reason = 'rollout_percentage';
    run.cohort = inRollout ? 'lightrag' : 'control';
  }
  run.backend = run.cohort === 'lightrag' ? CANDIDATE : FALLBACK;
  if (run.backend === CANDIDATE && settings.enable_circuit_breaker) takeBreakerSlot(run);
  else if (settings.shadow.percentage > 0) pickShadow(run);
  return 'stop';
}

/**
 * Picks a query Perplexity serves at assignment for the shadow (docs/shadow.md): its draw (the
 * user, the request id or query text, the salt) within the shadow percentage, never under the
 * kill switch, and only while the breaker is closed and the budget allows.
 */
function pickShadow(run: Run): void {
  if (run.snapshot.rollout.killSwitch !== null) return;
  const { context } = run;
  const key = context.requestId ?? context.queryText ?? '';
  const draw = run.snapshot.shadowDrawOf(identifierOf(context), key);
  if (draw > run.settings.shadow.percentage) return;
  run.shadow = run.safety.admitShadow();
}

/** A half-open breaker's last trial slot may have gone since step 3 looked. */
function takeBreakerSlot(run: Run): void {
  const admission = run.safety.acquireCandidate();
  if (typeof admission === 'number') run.breakerTrial = admission;
  if (admission !== false) return;
  run.trialSlotLost = true;
  run.backend = FALLBACK;
  run.reason = 'circuit_breaker_open';
  run.cohort = null;
}

/** The step functions, by name; they run in the order of {@link STEP_NAMES}. */
export const STEPS = {
  integration,
  forced_cohort: forcedCohort,
  circuit_breaker: circuitBreaker,
  quality_gate: qualityGate,
  eligibility,
  geography,
  assignment,
} as const satisfies Readonly<Record<StepName, (run: Run) => Verdict>>;
