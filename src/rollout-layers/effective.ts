import type { LoadedRegion } from '../config/loaded-config.js';
import type { EnvironmentSettings } from '../config/types.js';
import type {
  EffectiveRollout,
  LayerName,
  PlacedKillSwitch,
  PlacedRuntime,
  RegionShare,
  RolloutLayers,
} from './layers.js';

/**
 * What the rollout layers add up to: the highest layer present wins (default < file <
 * `LIGHTRAG_*` variable < runtime < kill switch), and every region follows from it:
 *
 * - the kill switch holds every region at 0;
 * - under the runtime layer (an operator's `rollout set`, a plan stage) each region serves
 *   `min(its own %, the runtime %)`, so a stage at 5 % serves at most 5 % anywhere, and at 100 %
 *   each region serves exactly its configured share;
 * - under the file or a variable a region serves its own percentage (the guide's geography
 *   rule), except that an environment at 0 % holds every region at 0.
 *
 * Pure: the same layers always give the same answer.
 */
export function effective(layers: RolloutLayers): EffectiveRollout {
  const top = topLayer(layers);
  const regionCap = top.layer === 'runtime' ? top.percentage : null;
  return {
    ...top,
    killSwitch: layers.killSwitch ?? null,
    regionCap,
    regions: Object.fromEntries(
      layers.regions.map((region) => [region.region, regionShare(region, top, regionCap)]),
    ),
  };
}

/** The shadow share in force, and the layer it comes from. */
export interface EffectiveShadow {
  percentage: number;
  layer: 'file' | 'runtime' | 'kill_switch';
}

/**
 * The shadow share the layers serve: 0 under the kill switch (no LightRAG calls at all), the
 * runtime layer's when it sets one (a plan's shadow stage), else the environment file's
 * `shadow.percentage` (`file`, its default 0 included).
 */
export function effectiveShadow(
  layers: RolloutLayers,
  settings: Readonly<Pick<EnvironmentSettings, 'shadow'>>,
): EffectiveShadow {
  if (layers.killSwitch) return { percentage: 0, layer: 'kill_switch' };
  const runtime = layers.runtime?.shadowPercentage;
  if (runtime !== undefined) return { percentage: runtime, layer: 'runtime' };
  return { percentage: settings.shadow.percentage, layer: 'file' };
}

/**
 * The settings a router serves: the loaded ones with the effective rollout and shadow
 * percentages (the very object loaded when the layers change neither), frozen.
 */
export function servedSettings(
  loaded: Readonly<EnvironmentSettings>,
  rollout: Pick<EffectiveRollout, 'percentage'>,
  shadow: EffectiveShadow,
): Readonly<EnvironmentSettings> {
  const same =
    rollout.percentage === loaded.rollout_percentage &&
    shadow.percentage === loaded.shadow.percentage;
  if (same) return loaded;
  return Object.freeze({
    ...loaded,
    rollout_percentage: rollout.percentage,
    shadow: Object.freeze({ ...loaded.shadow, percentage: shadow.percentage }),
  });
}

interface TopLayer {
  percentage: number;
  layer: LayerName;
  origin: string;
}

function topLayer(layers: RolloutLayers): TopLayer {
  if (layers.killSwitch) {
    return { percentage: 0, layer: 'kill_switch', origin: killSwitchOrigin(layers.killSwitch) };
  }
  if (layers.runtime) {
    const { percentage } = layers.runtime;
    return { percentage, layer: 'runtime', origin: runtimeOrigin(layers.runtime) };
  }
  if (layers.variable) {
    const { value, variable } = layers.variable;
    return { percentage: value, layer: 'variable', origin: variable };
  }
  const { value, origin } = layers.file;
  return { percentage: value, layer: origin === 'default' ? 'default' : 'file', origin };
}

/** `kill switch (environments/production.yaml:4)`, or `kill switch (engaged in this process: why)`. */
export function killSwitchOrigin(killSwitch: PlacedKillSwitch): string {
  return `kill switch (${killSwitch.where})`;
}

/** `runtime (set by the plan at environments/production.yaml:9: why)`. */
export function runtimeOrigin(runtime: PlacedRuntime): string {
  const who = runtime.setBy === 'plan' ? 'the plan' : 'an operator';
  return `runtime (set by ${who} at ${runtime.where}: ${runtime.reason})`;
}

function regionShare(region: LoadedRegion, top: TopLayer, cap: number | null): RegionShare {
  const share = (rolloutPercentage: number, why: string): RegionShare => ({
    rolloutPercentage,
    configured: region.rolloutPercentage,
    origin: region.origin,
    why,
  });
  if (top.layer === 'kill_switch') return share(0, 'held at 0 % by the kill switch');
  if (cap !== null) {
    return region.rolloutPercentage <= cap
      ? share(
          region.rolloutPercentage,
          `its own ${region.rolloutPercentage} % (within the runtime ${cap} %)`,
        )
      : share(cap, `capped at the runtime ${cap} % (configured ${region.rolloutPercentage} %)`);
  }
  if (top.percentage === 0) return share(0, "held at 0 % while the environment's rollout is 0 %");
  return share(region.rolloutPercentage, `its own ${region.rolloutPercentage} %`);
}
