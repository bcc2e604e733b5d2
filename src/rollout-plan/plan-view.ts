import type { LoadedConfig } from '../config/loaded-config.js';
import type { PlanGuardrails, RollbackTriggerSettings, RolloutStage } from '../config/types.js';

/**
 * What a step of the plan needs to know of the configuration, read once per look or command:
 * the stages, what is served now, and the layers that can stand in the plan's way.
 */
export interface PlanView {
  stages: readonly RolloutStage[];
  maxHoldFactor: number;
  /** The rollout percentage served, every layer applied. */
  served: number;
  /** The kill switch's reason while it is engaged, else null. */
  killSwitch: string | null;
  /** The `LIGHTRAG_*` variable that overrides the rollout percentage, else null. */
  variable: string | null;
  triggers: RollbackTriggerSettings;
  guardrails: PlanGuardrails;
}

/** The plan's view of a loaded configuration. */
export function planViewOf(config: LoadedConfig): PlanView {
  const { settings, rolloutLayers } = config;
  return {
    stages: settings.rollout_plan.stages,
    maxHoldFactor: settings.rollout_plan.max_hold_factor,
    served: settings.rollout_percentage,
    killSwitch: rolloutLayers.killSwitch ? rolloutLayers.killSwitch.block.reason : null,
    variable: rolloutLayers.variable ? rolloutLayers.variable.variable : null,
    triggers: settings.rollback_triggers,
    guardrails: settings.rollout_plan.guardrails,
  };
}
