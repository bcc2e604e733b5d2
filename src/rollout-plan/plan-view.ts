import type { LoadedConfig } from '../config/loaded-config.js';
import type { PlanGuardrails, RollbackTriggerSettings, RolloutStage } from '../config/types.js';
import { effective, effectiveShadow, layersOf } from '../rollout-layers/index.js';

/**
 * What a step of the plan needs to know of the configuration, read once per look or command:
 * the stages, what is served now, and whether the kill switch stands in the plan's way (the
 * plan writes the runtime layer, which a `LIGHTRAG_*` variable does not override).
 */
export interface PlanView {
  stages: readonly RolloutStage[];
  maxHoldFactor: number;
  /** The rollout percentage served, every layer applied. */
  served: number;
  /** The shadow share served (of the eligible queries Perplexity serves), every layer applied. */
  shadow: number;
  /** The kill switch's reason while it is engaged, else null. */
  killSwitch: string | null;
  triggers: RollbackTriggerSettings;
  guardrails: PlanGuardrails;
}

/** The plan's view of a loaded configuration. */
export function planViewOf(config: LoadedConfig): PlanView {
  const { settings } = config;
  const layers = layersOf(config);
  const served = effective(layers);
  return {
    stages: settings.rollout_plan.stages,
    maxHoldFactor: settings.rollout_plan.max_hold_factor,
    served: served.percentage,
    shadow: effectiveShadow(layers, settings).percentage,
    killSwitch: served.killSwitch ? served.killSwitch.reason : null,
    triggers: settings.rollback_triggers,
    guardrails: settings.rollout_plan.guardrails,
  };
}
