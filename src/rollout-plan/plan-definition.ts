import { createHash } from 'node:crypto';
import type { RolloutStage } from '../config/types.js';

/**
 * The plan a state was made under: a fingerprint of its stages' path (each stage's percentage,
 * whether it is a shadow stage, whether it needs approval) and those stages in words. A state's
 * stage index means something only under the stages it was made under: index 1 of 10/30/60/100
 * is 30 %, of 50/100 it is 100 %. Holds, `min_units`, `max_hold` and the guardrails are left out
 * on purpose: they may be tuned in the file while a plan runs, and the next look judges by them.
 */
export interface PlanDefinition {
  /** `sha256:` and the first 16 hex digits of the digest of the stages' path. */
  fingerprint: string;
  /** The stages as a person reads them: `10 %, 30 %, 60 % (approval), 100 %`. */
  stages: string;
}

/** The definition of a plan of `stages` (see {@link PlanDefinition}). */
export function planDefinitionOf(stages: readonly RolloutStage[]): PlanDefinition {
  const path = stages.map((stage) => [stage.percentage, stage.shadow, stage.approval]);
  const digest = createHash('sha256').update(JSON.stringify(path)).digest('hex');
  return { fingerprint: `sha256:${digest.slice(0, 16)}`, stages: stagesInWords(stages) };
}

function stagesInWords(stages: readonly RolloutStage[]): string {
  return stages
    .map((stage) => {
      const share = stage.shadow ? `shadow ${stage.percentage} %` : `${stage.percentage} %`;
      return stage.approval ? `${share} (approval)` : share;
    })
    .join(', ');
}

/**
 * Why a state cannot be driven by a configuration whose plan is `current`: the state was made
 * under another plan (both plans' stages in the words), or undefined when it was made under this
 * one, has not started, or was written before states kept their plan.
 */
export function definitionConflict(
  state: { environment: string; phase: string; definition?: PlanDefinition | undefined },
  current: PlanDefinition,
): string | undefined {
  const made = state.definition;
  if (made === undefined || state.phase === 'pending') return undefined;
  if (made.fingerprint === current.fingerprint) return undefined;
  return `the plan of ${state.environment} was started under another rollout_plan (stages ${made.stages}) than this configuration's (stages ${current.stages}); none of this configuration's stages is applied to it. To drive the plan of this configuration, restart it under it (from its stage 1): flagroute rollout plan restart --env ${state.environment} --reason "..."; or run the controller with the configuration it was started under`;
}
