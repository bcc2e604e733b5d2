import type { RolloutStage } from '../config/types.js';
import type { PlanEffect } from './step-types.js';

/**
 * The share of users a stage serves LightRAG: a shadow stage serves it to nobody (its
 * `percentage` is the share of queries shadowed, {@link shadowShareOf}).
 */
export function usersOf(stage: RolloutStage): number {
  return stage.shadow ? 0 : stage.percentage;
}

/** The share of the eligible queries Perplexity serves that a stage shadows: 0 but on a shadow stage. */
export function shadowShareOf(stage: RolloutStage): number {
  return stage.shadow ? stage.percentage : 0;
}

/** `stage 1 (shadow)` or `stage 2`, for reasons and notices (`index` from 0). */
export function stageName(stages: readonly RolloutStage[], index: number): string {
  return `stage ${index + 1}${stages[index]?.shadow ? ' (shadow)' : ''}`;
}

/** What a stage serves, in words: `10 %`, or `no user on LightRAG, 100 % of ... shadowed`. */
export function stageServes(stage: RolloutStage): string {
  return stage.shadow
    ? `no user on LightRAG, ${stage.percentage} % of the eligible queries Perplexity serves answered by LightRAG in the shadow`
    : `${stage.percentage} %`;
}

/** What a stage waits for besides its hold, in words. */
export function stageNeeds(stage: RolloutStage): string {
  return stage.shadow ? `${stage.min_pairs ?? 0} pairs` : `${stage.min_units} units per arm`;
}

/**
 * The edit of the runtime layer that makes a stage serve: its percentage, or, for a shadow
 * stage, the runtime layer at 0 % for users with the stage's shadow share (`setShadow`).
 * Leaving a shadow stage by any other edit turns its share off: `set_rollout` writes a runtime
 * layer without one, and the kill switch holds the shadow at 0.
 */
export function stageEdit(stage: RolloutStage, note: string, lift: boolean): PlanEffect {
  return stage.shadow
    ? {
        kind: 'set_shadow',
        shadowPercentage: stage.percentage,
        note: `${note} (shadow stage)`,
        lift,
      }
    : { kind: 'set_rollout', percentage: stage.percentage, note, lift };
}
