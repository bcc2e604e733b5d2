import type { GuardrailAction } from '../config/types.js';
import { describeReading, type GuardrailReading, type PlanMetrics } from './guardrails.js';
import { newRun, type PlanState } from './plan-state.js';
import { stageEdit, stageName, stageServes, usersOf } from './shadow-stage.js';
import { servedNow } from './stage-data.js';
import type { StepInput, StepResult } from './step-types.js';
import { transitionStep } from './transitions.js';

type Look = Extract<StepInput, { kind: 'look' }>;

/** A failed guardrail's action, as a transition (a hold while holding changes nothing). */
export function respond(
  action: GuardrailAction,
  failed: GuardrailReading,
  state: PlanState,
  input: Look,
  metrics: PlanMetrics,
): StepResult {
  const { plan, at } = input;
  const why = `guardrail ${failed.name} failed${(failed.for ?? 1) > 1 ? ` ${failed.for} looks in a row` : ''}: ${describeReading(failed)}`;
  const written: StepResult = { ok: true, state, effects: [{ kind: 'write_state' }] };
  switch (action) {
    case 'hold':
      return (
        transitionStep(state, 'hold', {
          at,
          reason: `${stageName(plan.stages, state.stage)} holds: ${why}`,
          ...servedNow(plan),
        }) ?? written
      );
    case 'pause':
      return transitionStep(state, 'pause', {
        at,
        reason: `${why}; a person decides: resume or abort`,
        ...servedNow(plan),
      })!;
    case 'step_down': {
      const previous = plan.stages[state.stage - 1];
      if (previous) {
        return transitionStep(state, 'step_down', {
          at,
          reason: `${why}; back to ${stageName(plan.stages, state.stage - 1)} (${stageServes(previous)}), which passed`,
          percentage: usersOf(previous),
          edit: stageEdit(
            previous,
            `rollout plan stepped down to stage ${state.stage} of ${plan.stages.length}`,
            false,
          ),
          changes: {
            stage: state.stage - 1,
            promoteStage: null,
            ...newRun(state, at, metrics.arms),
          },
        })!;
      }
      return rollBackStep(
        state,
        input,
        failed,
        `${why}; a step down from the first stage is a roll back`,
      );
    }
    case 'roll_back':
      return rollBackStep(state, input, failed, why);
  }
}

function rollBackStep(
  state: PlanState,
  input: Look,
  failed: GuardrailReading,
  reason: string,
): StepResult {
  return transitionStep(state, 'rollback', {
    at: input.at,
    reason,
    percentage: 0,
    edit: {
      kind: 'engage_kill_switch',
      reason: `rollout plan guardrail ${failed.name} failed at ${stageName(input.plan.stages, state.stage)}`,
    },
  })!;
}
