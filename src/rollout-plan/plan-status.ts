import type { LoadedConfig } from '../config/loaded-config.js';
import type { RolloutStage } from '../config/types.js';
import { parseDuration } from '../duration.js';
import { effective, effectiveShadow, layersOf } from '../rollout-layers/index.js';
import type { Fault, HealthSnapshot } from './controller-health.js';
import type { GuardrailReading } from './guardrails.js';
import { definitionConflict, planDefinitionOf } from './plan-definition.js';
import type { PlanState } from './plan-state.js';
import type { LeaseReading, PlanStore } from './plan-store.js';

/** The plan's status: its state, the current stage's progress and every guardrail. */
export interface PlanStatus {
  state: PlanState;
  stages: (RolloutStage & { state: 'done' | 'current' | 'next' })[];
  percentage: number;
  /** The shadow share served (of the eligible queries Perplexity serves), every layer applied. */
  shadow: number;
  holdLeftMs: number | null;
  units: { treatment: number; baseline: number; needed: number } | null;
  /** A shadow stage's pairs since it started, of `needed` (null: not a shadow stage, or no look yet). */
  pairs: { pairs: number; users: number; needed: number } | null;
  guardrails: GuardrailReading[];
  source: string;
  /** The driving controller's health (its own, or as its last heartbeat reported it), or null. */
  health: HealthSnapshot | null;
  /**
   * Why this configuration's stages say nothing of the state, when it was started under another
   * rollout_plan (both plans' stages; see `definitionConflict`), else null. Then no stage is
   * marked current: the state's stage index is of the other plan.
   */
  planConflict: string | null;
}

/** The status of a plan from its state and the readings of its last look. */
export function planStatusOf(
  config: LoadedConfig,
  state: PlanState,
  now: number,
  source: string,
  health: HealthSnapshot | null,
): PlanStatus {
  const stages = config.settings.rollout_plan.stages;
  const planConflict = definitionConflict(state, planDefinitionOf(stages)) ?? null;
  const stage = planConflict === null ? stages[state.stage] : undefined;
  const look = state.lastLook;
  const layers = layersOf(config);
  const holdLeftMs =
    stage &&
    state.stageStartedAt !== null &&
    (state.phase === 'running' || state.phase === 'holding')
      ? Math.max(0, parseDuration(stage.hold) - (now - state.stageStartedAt))
      : null;
  return {
    state,
    stages: stages.map((item, index) => ({
      ...item,
      state:
        planConflict !== null
          ? 'next'
          : index < state.stage
            ? 'done'
            : index === state.stage
              ? 'current'
              : 'next',
    })),
    percentage: effective(layers).percentage,
    shadow: effectiveShadow(layers, config.settings).percentage,
    holdLeftMs,
    units: look && stage && !stage.shadow ? { ...look.units, needed: stage.min_units } : null,
    pairs: look?.pairs && stage?.shadow ? { ...look.pairs, needed: stage.min_pairs ?? 0 } : null,
    guardrails: look?.guardrails ?? [],
    source,
    health,
    planConflict,
  };
}

/** A plan's status read from its store, and the lease: for those who read a plan without driving it. */
export async function statusFromStore(
  config: LoadedConfig,
  store: PlanStore,
  now: number,
  leaseNow: number = Date.now(),
): Promise<PlanStatus & { lease: LeaseReading; problems: Fault[] }> {
  const [{ state, problems }, lease] = await Promise.all([
    store.readState(),
    store.readLease(leaseNow),
  ]);
  const health = lease.state === 'live' ? (lease.health ?? null) : null;
  return { ...planStatusOf(config, state, now, 'state file', health), lease, problems };
}
