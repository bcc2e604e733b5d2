import { reasonProblem } from '../rollout-layers/index.js';
import { lookStep } from './look-step.js';
import { definitionConflict, type PlanDefinition, planDefinitionOf } from './plan-definition.js';
import {
  newRun,
  type PlanAction,
  type PlanPhase,
  type PlanState,
  pendingState,
} from './plan-state.js';
import { shadowShareOf, stageEdit, stageName, stageServes, usersOf } from './shadow-stage.js';
import { servedNow } from './stage-data.js';
import type { PlanRefusalCode, StepInput, StepResult } from './step-types.js';
import { phaseAfter, transitionStep } from './transitions.js';

/**
 * The rollout plan as a pure function: the state after a person's command or a look, and the
 * effects that make it so (edits of the environment file, the state written, the notices), or
 * a command's refusal as a code. Every move goes through {@link TRANSITIONS}: a command the
 * table does not allow from the plan's phase is refused with `PLAN_CONFLICT`; a look that would
 * make such a move does nothing.
 */
export function step(state: PlanState, input: StepInput): StepResult {
  return input.kind === 'look' ? lookStep(state, input) : commandStep(state, input);
}

function refuse(code: PlanRefusalCode, message: string): StepResult {
  return { ok: false, code, message };
}

/** What a refusal adds to "cannot <action> the plan: it is <phase>". */
function hint(action: PlanAction, phase: PlanPhase): string {
  if (action === 'start') return '; abort it first to start over';
  if (action === 'restart') return phase === 'pending' ? '; start it' : '; start it again';
  if (action === 'resume') return ', not paused';
  if (phase === 'paused' && action !== 'pause') return '; resume it first';
  if (phase === 'pending') return '; start it first';
  return '';
}

function commandStep(state: PlanState, input: Extract<StepInput, { kind: 'command' }>): StepResult {
  const { command, plan, at } = input;
  const { action, reason } = command;
  const cannot = `cannot ${action} the plan of ${state.environment}`;
  if (reason.trim() === '') {
    return refuse('INVALID_ARGUMENT', 'every plan action needs a reason (--reason)');
  }
  const problem = reasonProblem(reason);
  if (problem !== undefined) return refuse('INVALID_ARGUMENT', `reason ${problem}`);
  if (phaseAfter(action, state.phase) === undefined) {
    return refuse('PLAN_CONFLICT', `${cannot}: it is ${state.phase}${hint(action, state.phase)}`);
  }
  const definition = planDefinitionOf(plan.stages);
  const conflict = definitionConflict(state, definition);
  if (action === 'restart' && conflict === undefined) {
    return refuse(
      'PLAN_CONFLICT',
      `${cannot}: it runs under this configuration's rollout_plan already (stages ${definition.stages}); restart is for a plan started under another one: pause, resume or abort it`,
    );
  }
  // Another plan's stage index means nothing here: resuming or promoting it would apply this
  // plan's stages to it (stage 2 of 10/30/60/100 is 30 %, of 50/100 it is 100 %).
  if (conflict !== undefined && (action === 'resume' || action === 'promote')) {
    return refuse('PLAN_CONFLICT', `${cannot}: ${conflict}`);
  }
  const stage = plan.stages[state.stage];
  switch (action) {
    case 'start':
      return startStep(state, input, definition, 'start', reason);
    case 'restart':
      return startStep(
        state,
        input,
        definition,
        'restart',
        `restarted under this configuration's rollout_plan (stages ${definition.stages}; it was started under stages ${state.definition?.stages}): ${reason}`,
      );
    case 'pause':
      return transitionStep(state, 'pause', { at, reason, ...servedNow(plan) })!;
    case 'resume': {
      if (!stage) {
        return refuse(
          'PLAN_CONFLICT',
          `${cannot}: the plan has no stage ${state.stage + 1} any more; abort and start again`,
        );
      }
      const edit =
        plan.served !== usersOf(stage) ||
        plan.shadow !== shadowShareOf(stage) ||
        plan.killSwitch !== null;
      return transitionStep(state, 'resume', {
        at,
        reason: `${reason}; ${stageName(plan.stages, state.stage)} starts its hold again`,
        ...(edit
          ? {
              percentage: usersOf(stage),
              edit: stageEdit(
                stage,
                `rollout plan resumed at stage ${state.stage + 1}: ${reason}`,
                true,
              ),
            }
          : servedNow(plan)),
        changes: newRun(state, at, input.baseline),
      })!;
    }
    case 'promote':
      if (state.phase === 'awaiting_approval') {
        return transitionStep(state, 'promote', {
          at,
          reason: `approved: ${reason}`,
          ...servedNow(plan),
          changes: { approvedStage: state.stage + 1 },
        })!;
      }
      return transitionStep(state, 'promote', {
        at,
        reason: `the hold of ${stageName(plan.stages, state.stage)} is skipped (guardrails still apply): ${reason}`,
        ...servedNow(plan),
        changes: { promoteStage: state.stage },
      })!;
    case 'abort':
      return transitionStep(state, 'abort', {
        at,
        reason: `aborted by a person: ${reason}`,
        percentage: 0,
        edit: { kind: 'engage_kill_switch', reason: `rollout plan aborted: ${reason}` },
      })!;
  }
}

/** The plan from its stage 1 under `definition`: a person's start, or restart under a new plan. */
function startStep(
  state: PlanState,
  input: Extract<StepInput, { kind: 'command' }>,
  definition: PlanDefinition,
  event: 'start' | 'restart',
  reason: string,
): StepResult {
  const { plan, at } = input;
  const first = plan.stages[0]!;
  const fresh: PlanState = {
    ...pendingState(state.environment),
    phase: state.phase,
    history: state.history,
  };
  return transitionStep(fresh, event, {
    at,
    reason: `${reason}; ${stageName(plan.stages, 0)}: ${stageServes(first)} for at least ${first.hold}`,
    percentage: usersOf(first),
    edit: stageEdit(
      first,
      `rollout plan stage 1 of ${plan.stages.length}: ${input.command.reason}`,
      true,
    ),
    changes: {
      stage: 0,
      stageStartedAt: at,
      stageBaseline: input.baseline,
      // Starting a plan whose first stage needs approval is that approval.
      approvedStage: first.approval ? 0 : null,
      run: 1,
      failing: {},
      definition,
    },
  })!;
}
