import { type RegionShare, regionShares } from '../config/describe-config.js';
import type { ConfigIssue } from '../config/issues.js';
import type { Decision, ExplainStep } from '../routing/types.js';
import type { RollbackEvent } from './events.js';
import type { RolloutControl, RuntimeOverride } from './rollout-control.js';
import type { ServingState } from './serving-state.js';

/** What `Router.status` reports. */
export interface RouterStatus {
  environment: string;
  configVersion: string;
  loadedAt: string;
  lastReload: { ok: boolean; at: string; errors: ConfigIssue[] };
  rolloutPercentage: number;
  /** Where the effective rollout percentage comes from: the top layer present. */
  rolloutOrigin: string;
  /** Every layer with a say in the rollout, lowest first (see docs/configuration.md). */
  rolloutLayers: {
    file: { value: number; origin: string };
    variable: { value: number; variable: string } | null;
    runtime: RuntimeOverride | null;
    killSwitch: { engaged: boolean; origin: string | null; reason: string | null };
  };
  /** Each region's effective percentage (0 while the rollout is 0), with where it was set. */
  regions: Record<string, RegionShare>;
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
export function statusOf(state: ServingState, rollout: RolloutControl): RouterStatus {
  const loaded = state.loaded;
  const effective = state.settings.rollout_percentage;
  const layers = loaded.rolloutLayers;
  const rollback = rollout.rollback;
  const origin = rollout.origin();
  return {
    environment: loaded.environment,
    configVersion: loaded.version,
    loadedAt: new Date(state.loadedAt).toISOString(),
    lastReload: state.lastReload,
    rolloutPercentage: effective,
    rolloutOrigin: origin,
    rolloutLayers: {
      file: { ...layers.file },
      variable: layers.variable ? { ...layers.variable } : null,
      runtime: rollout.override ?? null,
      killSwitch: {
        engaged: rollback !== null,
        origin: rollback ? origin : null,
        reason: rollback?.reason ?? null,
      },
    },
    regions: regionShares(loaded, effective),
    runtimeOverrides: rollout.override ? { rollout_percentage: rollout.override } : {},
    rollback,
  };
}
