import type { Moments, OutcomeMetric } from '../metrics/index.js';
import type { GuardrailReading } from './guardrails.js';
import type { PlanDefinition } from './plan-definition.js';

/** Where a rollout plan is. */
export const PLAN_PHASES = [
  'pending',
  'running',
  'holding',
  'awaiting_approval',
  'paused',
  'completed',
  'rolled_back',
] as const;
/**
 * `pending`: not started. `running`: a stage is serving and its hold has not passed.
 * `holding`: the hold has passed but an arm lacks `min_units` (an explicit state, never a
 * failure). `awaiting_approval`: the next stage needs a person. `paused`: by a person, or a
 * stage waited too long. `completed`, `rolled_back`: the plan is over.
 */
export type PlanPhase = (typeof PLAN_PHASES)[number];

/** What can happen to a plan: the events of the transition table. */
export const TRANSITION_EVENTS = [
  'start',
  'restart',
  'advance',
  'hold',
  'pause',
  'resume',
  'approval',
  'promote',
  'step_down',
  'rollback',
  'complete',
  'abort',
] as const;
/** What happened in a transition. */
export type TransitionEvent = (typeof TRANSITION_EVENTS)[number];

/** What a person can tell a plan (each is also a transition event). */
export const PLAN_ACTIONS = ['start', 'restart', 'pause', 'resume', 'promote', 'abort'] as const;
/** A person's action on a plan. */
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** A person's command, with the reason every change needs. */
export interface PlanCommand {
  action: PlanAction;
  reason: string;
}

/** One transition of the plan, as kept in its history and sent to webhooks. */
export interface Transition {
  /** ISO 8601 time of the transition. */
  at: string;
  event: TransitionEvent;
  from: PlanPhase;
  to: PlanPhase;
  /** Index of the stage serving after the transition (-1 before the first). */
  stage: number;
  /** The rollout percentage serving after it. */
  percentage: number;
  /** The shadow share serving after it, when there is one (a shadow stage). */
  shadow?: number;
  reason: string;
}

/** Per-arm cumulative moments, the baseline a stage's data is measured from. */
export type ArmSnapshot = Record<'treatment' | 'baseline', Partial<Record<OutcomeMetric, Moments>>>;

/** A plan's state, as the state file holds it (written atomically after every change). */
export interface PlanState {
  version: 1;
  environment: string;
  phase: PlanPhase;
  /** Index of the stage serving (-1 before the first). */
  stage: number;
  /** When the current stage started (ms since the epoch), or null. */
  stageStartedAt: number | null;
  /** The cumulative moments when the stage started: its data is the difference since. */
  stageBaseline: ArmSnapshot | null;
  /** A person's approval to enter this stage index (approval stages). */
  approvedStage: number | null;
  /** A person's promotion: skip the current stage's hold (never a failed guardrail). */
  promoteStage: number | null;
  reason: string;
  history: Transition[];
  /**
   * The plan the state was made under (set by `start` and `restart`): a controller or a command
   * whose configuration holds another plan applies none of its stages to this state. Absent in a
   * state written before, which is taken as made under the configuration's plan.
   */
  definition?: PlanDefinition;
  /**
   * The stage run, from 1 at the start: each advance, step down or resume starts one more. The
   * regression guardrails' alpha is spent per run (absent in a state written before: the stage
   * index plus one).
   */
  run?: number;
  /** Looks in a row each guardrail has failed in this stage run (its action waits for `for`). */
  failing?: Record<string, number>;
  /** The controller's last look: when, the stage's outcomes per arm, and every guardrail. */
  lastLook?: {
    at: string;
    units: { treatment: number; baseline: number };
    /** A shadow stage's pairs since it started, and the users they came from (null: the source has none). */
    pairs?: { pairs: number; users: number } | null;
    guardrails: GuardrailReading[];
  };
}

/** The state of a plan that has not started. */
export function pendingState(environment: string): PlanState {
  return {
    version: 1,
    environment,
    phase: 'pending',
    stage: -1,
    stageStartedAt: null,
    stageBaseline: null,
    approvedStage: null,
    promoteStage: null,
    reason: 'not started',
    history: [],
  };
}

/** Whether the plan has ended. */
export function isFinished(phase: PlanPhase): boolean {
  return phase === 'completed' || phase === 'rolled_back';
}

/** The phases in which a controller's looks judge the plan. */
export const ACTIVE_PHASES: readonly PlanPhase[] = [
  'running',
  'holding',
  'awaiting_approval',
  'paused',
];

/**
 * What a new run of the current or next stage starts from: its clock and the metrics' baseline
 * at `at`, the next run's number, and no guardrail failing yet.
 */
export function newRun(
  state: PlanState,
  at: number,
  baseline: ArmSnapshot | null,
): Pick<PlanState, 'stageStartedAt' | 'stageBaseline' | 'run' | 'failing'> {
  return { stageStartedAt: at, stageBaseline: baseline, run: runOf(state) + 1, failing: {} };
}

/** The stage run a state is in (a state written before runs were counted: the stage's index + 1). */
export function runOf(state: PlanState): number {
  return state.run ?? state.stage + 1;
}
