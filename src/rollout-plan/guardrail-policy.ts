import {
  type ActionSpec,
  GUARDRAIL_ACTIONS,
  type GuardrailAction,
  type PlanCheck,
  type PlanGuardrails,
  type RegressionMargin,
} from '../config/types.js';
import type { OutcomeMetric } from '../metrics/index.js';

/** A regression guardrail with every default applied. */
export interface RegressionGuardrail {
  metric: OutcomeMetric;
  margin: RegressionMargin;
  action: ActionSpec;
}

/** The plan's regression guardrails, each with its margin and action (defaults filled in). */
export function regressionGuardrails(guard: PlanGuardrails): RegressionGuardrail[] {
  const fallback = actionOf('regression', guard);
  return guard.metrics.map((entry) => {
    if (typeof entry === 'string') {
      return { metric: entry, margin: { relative: guard.tolerance }, action: fallback };
    }
    return {
      metric: entry.metric,
      margin: entry.margin ?? { relative: guard.tolerance },
      action: { action: entry.action ?? fallback.action, for: entry.for ?? fallback.for },
    };
  });
}

/** Today's response to every check: roll back at the first failing look. */
const ROLL_BACK: ActionSpec = { action: 'roll_back', for: 1 };

/** The action of a check (defaults: roll back; a multiple-exposure excess pauses). */
export function actionOf(check: PlanCheck | 'regression', guard: PlanGuardrails): ActionSpec {
  const given = guard.actions?.[check];
  if (given) return given;
  return check === 'multiple_exposures' ? { action: 'pause', for: 1 } : ROLL_BACK;
}

/** The most severe of some actions (roll_back above step_down above pause above hold). */
export function severest(actions: readonly GuardrailAction[]): GuardrailAction | undefined {
  let worst = -1;
  for (const action of actions) worst = Math.max(worst, GUARDRAIL_ACTIONS.indexOf(action));
  return worst < 0 ? undefined : GUARDRAIL_ACTIONS[worst];
}

/** The share of the plan's alpha the planned stages spend; the rest is kept for re-runs. */
export const PLANNED_SHARE = 0.9;

/**
 * The alpha of one regression guardrail in one stage run, so that the plan's false-alarm rate
 * stays within `alpha` over every metric, every stage and every re-run (a union bound over
 * always-valid tests, each valid however often it is looked at):
 * alpha / metrics, of which {@link PLANNED_SHARE} split equally over the planned stages and the
 * rest over the runs beyond them (a re-run after a step down or a resume), halving each time.
 *
 * @param run - the stage run, counted from 1 at the plan's start (each advance, step down or resume is one more)
 * @param stages - the plan's stage count
 * @param metrics - the regression guardrails' count
 */
export function stageAlpha(alpha: number, run: number, stages: number, metrics: number): number {
  const perMetric = alpha / Math.max(1, metrics);
  const planned = Math.max(1, stages);
  if (run <= planned) return (perMetric * PLANNED_SHARE) / planned;
  return perMetric * (1 - PLANNED_SHARE) * 0.5 ** (run - planned);
}
