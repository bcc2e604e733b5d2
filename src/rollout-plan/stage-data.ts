import type { RolloutStage } from '../config/types.js';
import {
  type GuardrailReading,
  type PlanMetrics,
  readGuardrails,
  sinceStageStart,
  unitsOf,
} from './guardrails.js';
import type { ArmSnapshot } from './plan-state.js';
import type { PlanView } from './plan-view.js';
import { readShadowGuardrails } from './shadow-guardrails.js';

/** What a look judges a stage on: its guardrails, its counts, and what it still lacks. */
export interface StageData {
  readings: GuardrailReading[];
  /** Units per arm in the stage's data (0 and 0 on a shadow stage, which has no arms). */
  units: { treatment: number; baseline: number };
  /** A shadow stage's pairs (null: the source has none per user); undefined on other stages. */
  pairs?: { pairs: number; users: number } | null;
  /** How many units per arm, or pairs, the stage lacks before it may advance. */
  short: number;
  /** What it has, in words (`it has 120 and 98`). */
  has: string;
}

/** What serves now, for a transition that changes nothing: the percentage and the shadow share. */
export function servedNow(plan: PlanView): { percentage: number; shadow: number } {
  return { percentage: plan.served, shadow: plan.shadow };
}

/** A stage that serves users: its arms' data since it started, against `min_units` per arm. */
export function servedData(
  stage: RolloutStage,
  plan: PlanView,
  metrics: PlanMetrics,
  baseline: ArmSnapshot,
  run: number,
): StageData {
  // Per-unit sums are the stage's own; request sums are cumulative.
  const data = metrics.unit === 'user' ? metrics.arms : sinceStageStart(metrics.arms, baseline);
  const readings = readGuardrails(plan, data, metrics, { run, stages: plan.stages.length });
  const units = metrics.counts?.units ?? unitsOf(data);
  return {
    readings,
    units,
    short: Math.max(0, stage.min_units - Math.min(units.treatment, units.baseline)),
    has: `it has ${units.treatment} and ${units.baseline}`,
  };
}

/** A shadow stage: its pairs since it started, per user, against `min_pairs`. */
export function shadowData(
  stage: RolloutStage,
  plan: PlanView,
  metrics: PlanMetrics,
  run: number,
): StageData {
  const look = readShadowGuardrails(plan, metrics.pairs ?? null, metrics, {
    run,
    stages: plan.stages.length,
  });
  const count = look.pairs?.pairs ?? 0;
  return {
    readings: look.readings,
    units: { treatment: 0, baseline: 0 },
    pairs: look.pairs,
    short: Math.max(0, (stage.min_pairs ?? 0) - count),
    has: look.pairs
      ? `it has ${count} from ${look.pairs.users} users`
      : 'its metrics source has no pairs per user',
  };
}
