import { issueForResponse } from '../config/issue-for-response.js';
import type { ConfigIssue } from '../config/issues.js';
import type { RolloutView } from '../decision/snapshot.js';
import type { Decision, ExplainStep } from '../decision/types.js';
import {
  type EffectiveShadow,
  effectiveShadow,
  type PlacedRuntime,
  type RegionShare,
} from '../rollout-layers/index.js';
import type { ShadowBudgetCounts } from '../safety/index.js';
import type { RollbackEvent } from './events.js';
import type { RolloutControl } from './rollout-control.js';
import type { ServingState } from './serving-state.js';

/** The runtime layer as the guide's summary shows it (`runtime_override`). */
export interface RuntimeOverride {
  value: number;
  reason: string;
  at: string;
}

/** What `Router.status` reports. */
export interface RouterStatus {
  environment: string;
  configVersion: string;
  loadedAt: string;
  /**
   * The last reload, its problems as answers may show them (code, file, place, the fault in
   * words: never the file's text); the `reloadError` event and the log carry the full messages.
   */
  lastReload: { ok: boolean; at: string; errors: ConfigIssue[] };
  rolloutPercentage: number;
  /** Where the effective rollout percentage comes from: the top layer present. */
  rolloutOrigin: string;
  /** Every layer with a say in the rollout, lowest first (see docs/configuration.md). */
  rolloutLayers: {
    file: { value: number; origin: string };
    variable: { value: number; variable: string } | null;
    /** The runtime layer: who set it, why, when, and where it is kept. */
    runtime: PlacedRuntime | null;
    killSwitch: { engaged: boolean; origin: string | null; reason: string | null };
  };
  /** Each region's effective percentage, its configured one, where it was set, and why. */
  regions: Record<string, RegionShare>;
  /** The shadow share of the queries Perplexity serves, and its layer (docs/shadow.md). */
  shadow: EffectiveShadow;
  /**
   * This process's shadow budget since start: queries picked for the shadow it admitted, and
   * those it refused (served without a shadow: the second's `shadow.max_per_second` was spent).
   */
  shadowBudget: ShadowBudgetCounts & { maxPerSecond: number };
  runtimeOverrides: { rollout_percentage?: RuntimeOverride };
  /** The rollback in force (the kill switch), if any. */
  rollback: RollbackEvent | null;
}

/** A decision with the steps of the tree that led to it. */
export interface Explanation {
  decision: Decision;
  steps: ExplainStep[];
}

/** The status of what a router serves, with every layer of its rollout. */
export function statusOf(
  state: ServingState,
  rollout: RolloutControl,
  budget: ShadowBudgetCounts,
): RouterStatus {
  const loaded = state.loaded;
  const layers = rollout.layers(loaded);
  const now = rollout.effective(loaded);
  const runtime = layers.runtime ?? null;
  const override = runtime
    ? { value: runtime.percentage, reason: runtime.reason, at: runtime.at }
    : null;
  return {
    environment: loaded.environment,
    configVersion: loaded.version,
    loadedAt: new Date(state.loadedAt).toISOString(),
    lastReload: {
      ...state.lastReload,
      errors: state.lastReload.errors.map((issue) => issueForResponse(issue, loaded.configDir)),
    },
    rolloutPercentage: now.percentage,
    rolloutOrigin: now.origin,
    rolloutLayers: {
      file: { ...layers.file },
      variable: layers.variable ? { ...layers.variable } : null,
      runtime,
      killSwitch: {
        engaged: now.killSwitch !== null,
        origin: now.killSwitch ? now.origin : null,
        reason: now.killSwitch?.reason ?? null,
      },
    },
    regions: now.regions,
    shadow: effectiveShadow(layers, loaded.settings),
    shadowBudget: { ...budget, maxPerSecond: loaded.settings.shadow.max_per_second },
    runtimeOverrides: override ? { rollout_percentage: override } : {},
    rollback: rollout.rollback,
  };
}

/** The first step of an explanation while the kill switch is engaged, whichever step decides. */
export function killSwitchSteps(rollout: RolloutView): ExplainStep[] {
  if (rollout.killSwitch === null) return [];
  const detail = `${rollout.killSwitch} holds the rollout at 0 % in every region [${rollout.origin}], and no query is shadowed; "flagroute rollout resume" lifts it`;
  return [{ step: 'kill switch', outcome: 'passed', detail }];
}
