import type { RolloutStage } from '../config/types.js';
import {
  PLAN_PHASES,
  type PlanPhase,
  type PlanState,
  type Transition,
  type TransitionEvent,
} from './plan-state.js';
import type { PlanEffect } from './step-types.js';

/**
 * Every legal transition of a rollout plan: for each event, the phases it may leave and the
 * phase it enters from each. An event from a phase not listed is refused (a person's command,
 * as `PLAN_CONFLICT`) or does nothing (a look). `step` consults only this table, so this is the
 * whole state machine; docs/architecture.md shows it as a table.
 */
export const TRANSITIONS: Readonly<
  Record<TransitionEvent, Readonly<Partial<Record<PlanPhase, PlanPhase>>>>
> = {
  // A person starts the plan (again, once it has ended).
  start: { pending: 'running', completed: 'running', rolled_back: 'running' },
  // A person restarts a plan that was started under another rollout_plan, from its stage 1.
  restart: {
    running: 'running',
    holding: 'running',
    awaiting_approval: 'running',
    paused: 'running',
  },
  // A look: the stage held, has its data and passed every guardrail; the next stage serves.
  advance: { running: 'running', holding: 'running' },
  // A look: a guardrail whose action is step_down failed; the previous stage serves again.
  step_down: { running: 'running', holding: 'running', awaiting_approval: 'running' },
  // A look: the hold has passed but an arm lacks min_units at this stage.
  hold: { running: 'holding' },
  // The next stage needs a person's approval.
  approval: { running: 'awaiting_approval', holding: 'awaiting_approval' },
  // A person's approval (awaiting_approval), or a skipped hold (running, holding).
  promote: { awaiting_approval: 'running', running: 'running', holding: 'holding' },
  // A person, a stage that waited too long for data, a rollout changed outside the plan.
  pause: { running: 'paused', holding: 'paused', awaiting_approval: 'paused' },
  // A person: the stage starts its hold and its data again.
  resume: { paused: 'running' },
  // The last stage held and passed.
  complete: { running: 'completed', holding: 'completed' },
  // A guardrail whose action is roll_back failed, the router rolled back, or a kill switch was engaged.
  rollback: {
    running: 'rolled_back',
    holding: 'rolled_back',
    awaiting_approval: 'rolled_back',
    paused: 'rolled_back',
  },
  // A person stops the plan: the kill switch.
  abort: {
    running: 'rolled_back',
    holding: 'rolled_back',
    awaiting_approval: 'rolled_back',
    paused: 'rolled_back',
  },
};

/** The phase `event` enters from `phase`, or undefined when the table does not allow it. */
export function phaseAfter(event: TransitionEvent, phase: PlanPhase): PlanPhase | undefined {
  return TRANSITIONS[event][phase];
}

/**
 * The plan's invariant: its phase is one of the table's, and its stage index lies within the
 * plan (-1, before the first stage, only while pending). Returns what is wrong, or null.
 */
export function invariantViolation(
  state: PlanState,
  stages: readonly RolloutStage[],
): string | null {
  if (!(PLAN_PHASES as readonly string[]).includes(state.phase)) {
    return `phase ${JSON.stringify(state.phase)} is not one of ${PLAN_PHASES.join(', ')}`;
  }
  if (!Number.isInteger(state.stage)) return `stage ${state.stage} is not an index`;
  if (state.phase === 'pending') {
    return state.stage === -1 ? null : `a pending plan is at stage ${state.stage}, not -1`;
  }
  if (state.stage < 0 || state.stage >= stages.length) {
    return `stage index ${state.stage} lies outside the plan's ${stages.length} stages (phase ${state.phase})`;
  }
  return null;
}

/** What a transition changes besides the phase. */
export interface TransitionChange {
  at: number;
  reason: string;
  /** The rollout percentage serving after it. */
  percentage: number;
  /** The shadow share serving after it when there is no edit (an edit says its own). */
  shadow?: number;
  /** The edit of the environment file that makes it (before the state is written). */
  edit?: PlanEffect;
  /** Other fields of the state that change with it. */
  changes?: Partial<PlanState>;
}

/**
 * The state after `event` from the state's phase, with its effects (the edit, the state
 * written, the notice), or undefined when the table does not allow the event from that phase.
 */
export function transitionStep(
  state: PlanState,
  event: TransitionEvent,
  change: TransitionChange,
): { ok: true; state: PlanState; effects: PlanEffect[] } | undefined {
  const to = phaseAfter(event, state.phase);
  if (to === undefined) return undefined;
  const moved: PlanState = { ...state, ...change.changes };
  const { edit } = change;
  // An edit other than a shadow stage's leaves no shadow share of the plan's.
  const shadow = edit
    ? edit.kind === 'set_shadow'
      ? edit.shadowPercentage
      : 0
    : (change.shadow ?? 0);
  const transition: Transition = {
    at: new Date(change.at).toISOString(),
    event,
    from: state.phase,
    to,
    stage: moved.stage,
    percentage: change.percentage,
    ...(shadow > 0 ? { shadow } : {}),
    reason: change.reason,
  };
  return {
    ok: true,
    state: { ...moved, phase: to, reason: change.reason, history: [...state.history, transition] },
    effects: [
      ...(change.edit ? [change.edit] : []),
      { kind: 'write_state' },
      { kind: 'notify', transition },
    ],
  };
}
