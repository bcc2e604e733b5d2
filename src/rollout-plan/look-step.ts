import { formatDuration, parseDuration } from '../duration.js';
import { severest } from './guardrail-policy.js';
import { respond } from './guardrail-response.js';
import type { PlanMetrics } from './guardrails.js';
import { definitionConflict, planDefinitionOf } from './plan-definition.js';
import { ACTIVE_PHASES, newRun, type PlanState, runOf } from './plan-state.js';
import { stageEdit, stageName, stageNeeds, stageServes, usersOf } from './shadow-stage.js';
import { servedData, servedNow, shadowData } from './stage-data.js';
import type { StepInput, StepResult } from './step-types.js';
import { transitionStep } from './transitions.js';

type Look = Extract<StepInput, { kind: 'look' }>;

/**
 * One look at a plan: stop it if a kill switch is engaged; do nothing if it was started under
 * another plan (another configuration's stages); pause it if its stage is gone or
 * the rollout was changed outside the plan; then judge the
 * stage's data (the metrics since the stage started): roll back on a failed guardrail, wait for
 * the hold, hold for data (pausing a stage that waited too long), and advance, ask for approval
 * or complete. Overdue stages after downtime are caught up one look at a time, each only if its
 * checks pass on current data; approval stages always wait for a person.
 */
export function lookStep(state: PlanState, input: Look): StepResult {
  const { plan, at, metrics } = input;
  const nothing: StepResult = { ok: true, state, effects: [] };
  if (!ACTIVE_PHASES.includes(state.phase)) return nothing;
  if (plan.killSwitch !== null) {
    return transitionStep(state, 'rollback', {
      at,
      reason: `the kill switch was engaged (${plan.killSwitch}); the plan stops`,
      percentage: 0,
    })!;
  }
  // A state made under another plan: its stage index means nothing under this one, so nothing
  // of this plan is applied to it (the controller reports why, as a fault, every look).
  if (definitionConflict(state, planDefinitionOf(plan.stages)) !== undefined) return nothing;
  const stage = plan.stages[state.stage];
  if (!stage) {
    // The file lost stages: the plan waits at its last stage, inside the plan, for a person.
    const within = Math.max(0, Math.min(state.stage, plan.stages.length - 1));
    const reason = `the plan has no stage ${state.stage + 1} any more (the file changed); it waits at stage ${within + 1}: check rollout_plan, then resume`;
    return (
      transitionStep(state, 'pause', {
        at,
        reason,
        ...servedNow(plan),
        changes: { stage: within },
      }) ?? {
        ok: true,
        state: { ...state, stage: within, reason },
        effects: [{ kind: 'write_state' }],
      }
    );
  }
  if (state.phase === 'paused') return nothing;
  const pause = (reason: string) =>
    transitionStep(state, 'pause', { at, reason, ...servedNow(plan) })!;
  const name = stageName(plan.stages, state.stage);
  if (plan.served !== usersOf(stage)) {
    return pause(
      `the rollout is ${plan.served} % but ${name} is ${usersOf(stage)} %: it was changed outside the plan; resume to go on`,
    );
  }
  if (stage.shadow && plan.shadow !== stage.percentage) {
    return pause(
      `the shadow share is ${plan.shadow} % but ${name} shadows ${stage.percentage} %: it was changed outside the plan; resume to go on`,
    );
  }
  if (metrics === null) return nothing;
  if (metrics.rollback !== null) {
    return transitionStep(state, 'rollback', {
      at,
      reason: `the router rolled back by itself: ${metrics.rollback}`,
      percentage: 0,
      edit: { kind: 'engage_kill_switch', reason: `the router rolled back: ${metrics.rollback}` },
    })!;
  }
  return judge(state, input, metrics);
}

/**
 * The stage's data against its guardrails, its hold and its `min_units`. A failing guardrail
 * stops the stage from advancing at once; its action (hold, pause, step down, roll back) is taken
 * once it has failed its `for` looks in a row, the most severe of those due first.
 */
function judge(state: PlanState, input: Look, metrics: PlanMetrics): StepResult {
  const { plan, at } = input;
  const stage = plan.stages[state.stage]!;
  // Started without a metrics source (by the CLI): the stage's data begins now.
  const baseline = state.stageBaseline ?? metrics.arms;
  const run = runOf(state);
  const { readings, units, pairs, short, has } = stage.shadow
    ? shadowData(stage, plan, metrics, run)
    : servedData(stage, plan, metrics, baseline, run);
  const failing: Record<string, number> = {};
  for (const reading of readings) {
    if (!reading.ok) failing[reading.name] = (state.failing?.[reading.name] ?? 0) + 1;
  }
  const looked: PlanState = {
    ...state,
    stageBaseline: baseline,
    run,
    failing,
    lastLook: {
      at: new Date(at).toISOString(),
      units,
      ...(pairs === undefined ? {} : { pairs }),
      guardrails: readings,
    },
  };
  const due = readings.filter(
    (reading) => !reading.ok && failing[reading.name]! >= (reading.for ?? 1),
  );
  const action = severest(due.map((reading) => reading.action ?? 'roll_back'));
  if (action !== undefined) {
    const failed = due.find((reading) => (reading.action ?? 'roll_back') === action)!;
    return respond(action, failed, looked, input, metrics);
  }
  const written: StepResult = { ok: true, state: looked, effects: [{ kind: 'write_state' }] };
  if (state.phase === 'awaiting_approval') return written;
  const elapsed = at - (state.stageStartedAt ?? at);
  const hold = parseDuration(stage.hold);
  if (elapsed < hold && state.promoteStage !== state.stage) return written;
  // A guardrail that fails but whose action is not yet due still keeps the stage where it is.
  if (readings.some((reading) => !reading.ok)) return written;
  if (short > 0) {
    const maxHold = stage.max_hold ? parseDuration(stage.max_hold) : hold * plan.maxHoldFactor;
    const name = stageName(plan.stages, state.stage);
    if (elapsed > maxHold) {
      return transitionStep(looked, 'pause', {
        at,
        reason: `${name} waited ${formatDuration(elapsed)} (more than ${formatDuration(maxHold)}) for ${stageNeeds(stage)}; ${has}`,
        ...servedNow(plan),
      })!;
    }
    return (
      transitionStep(looked, 'hold', {
        at,
        reason: `${name} needs ${stageNeeds(stage)} before it is judged; ${has}`,
        ...servedNow(plan),
      }) ?? written
    );
  }
  return moveOn(looked, input, metrics);
}

/** The stage passed: the next stage serves, or waits for approval, or the plan is complete. */
function moveOn(state: PlanState, input: Look, metrics: PlanMetrics): StepResult {
  const { plan, at } = input;
  const next = state.stage + 1;
  const stage = plan.stages[next];
  if (!stage) {
    return transitionStep(state, 'complete', {
      at,
      reason: `every stage passed; the rollout stays at ${plan.stages.at(-1)!.percentage} %`,
      ...servedNow(plan),
    })!;
  }
  if (stage.approval && state.approvedStage !== next) {
    return transitionStep(state, 'approval', {
      at,
      reason: `stage ${next + 1} (${stageServes(stage)}) needs a person's approval: flagroute rollout plan promote`,
      ...servedNow(plan),
    })!;
  }
  const left = stageName(plan.stages, state.stage);
  return transitionStep(state, 'advance', {
    at,
    reason: `${left} passed its checks; now ${stageServes(stage)} for at least ${stage.hold}${plan.stages[state.stage]?.shadow ? ' (the shadow is off)' : ''}`,
    percentage: usersOf(stage),
    edit: stageEdit(stage, `rollout plan stage ${next + 1} of ${plan.stages.length}`, false),
    changes: { stage: next, promoteStage: null, ...newRun(state, at, metrics.arms) },
  })!;
}
