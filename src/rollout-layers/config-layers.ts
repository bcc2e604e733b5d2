import type { LoadedConfig } from '../config/loaded-config.js';
import type { RollbackBlock, RuntimeBlock } from '../config/types.js';
import type {
  KillSwitch,
  PlacedKillSwitch,
  PlacedRuntime,
  RolloutLayers,
  RuntimeLayer,
  RuntimeState,
} from './layers.js';

/** Layers kept in one process only: not written to the store, lost at restart. */
export interface LocalLayers {
  readonly runtime?: RuntimeLayer;
  readonly killSwitch?: KillSwitch;
}

/** Where a process-only layer is kept, as origins show it. */
export const THIS_PROCESS = 'this process only';

/**
 * The layers a loaded configuration gives (file, variable, regions, and the runtime state
 * file mode keeps in the environment file), with the layers kept in this process on top: a
 * process's own kill switch counts when the stored one is off, and its own runtime change
 * stands above the stored one.
 */
export function layersOf(config: LoadedConfig, local: LocalLayers = {}): RolloutLayers {
  const loaded = config.rolloutLayers;
  const stored = storedState(config);
  const layers: { -readonly [K in keyof RolloutLayers]: RolloutLayers[K] } = {
    file: loaded.file,
    regions: config.geographicRouting,
  };
  if (loaded.variable) layers.variable = loaded.variable;
  const runtime: PlacedRuntime | undefined = local.runtime
    ? { ...local.runtime, where: THIS_PROCESS }
    : stored.runtime && loaded.runtime
      ? { ...stored.runtime, where: loaded.runtime.origin }
      : undefined;
  if (runtime) layers.runtime = runtime;
  const killSwitch: PlacedKillSwitch | undefined =
    stored.killSwitch && loaded.killSwitch
      ? { ...stored.killSwitch, where: loaded.killSwitch.origin, persisted: true }
      : local.killSwitch
        ? {
            ...local.killSwitch,
            where: `engaged in this process: ${local.killSwitch.reason}`,
            persisted: false,
          }
        : undefined;
  if (killSwitch) layers.killSwitch = killSwitch;
  return layers;
}

/** The runtime state file mode keeps in a loaded environment file. */
export function storedState(config: LoadedConfig): RuntimeState {
  const { runtime, killSwitch, file } = config.rolloutLayers;
  return {
    runtime: runtime ? runtimeOf(runtime.block) : null,
    killSwitch: killSwitch ? killSwitchOf(killSwitch.block, file.value) : null,
  };
}

/** The runtime layer a `runtime:` block stands for. */
export function runtimeOf(block: Readonly<RuntimeBlock>): RuntimeLayer {
  return {
    percentage: block.rollout_percentage,
    setBy: block.set_by,
    reason: block.reason,
    at: block.at,
    ...(block.shadow_percentage === undefined ? {} : { shadowPercentage: block.shadow_percentage }),
  };
}

/** The `runtime:` block of a runtime layer. */
export function runtimeBlockOf(layer: RuntimeLayer): RuntimeBlock {
  return {
    rollout_percentage: layer.percentage,
    set_by: layer.setBy,
    reason: layer.reason,
    at: layer.at,
    ...(layer.shadowPercentage === undefined ? {} : { shadow_percentage: layer.shadowPercentage }),
  };
}

/** The kill switch a `rollback:` block stands for (written by hand, it may lack the trigger). */
export function killSwitchOf(block: Readonly<RollbackBlock>, filePercentage: number): KillSwitch {
  return {
    trigger: block.trigger ?? 'manual',
    reason: block.reason,
    at: block.at,
    previousPercentage: block.previous_percentage ?? filePercentage,
  };
}

/** The `rollback:` block of a kill switch. */
export function rollbackBlockOf(killSwitch: KillSwitch): RollbackBlock {
  return {
    at: killSwitch.at,
    reason: killSwitch.reason,
    trigger: killSwitch.trigger,
    previous_percentage: killSwitch.previousPercentage,
  };
}

/**
 * The layers of `config` with the runtime state `state` read from a store (kept at `where`) in
 * place of what the loaded file said: what a change through the store is judged on.
 */
export function layersWith(
  config: LoadedConfig,
  state: RuntimeState,
  where: string,
): RolloutLayers {
  const { runtime: _runtime, killSwitch: _killSwitch, ...rest } = layersOf(config);
  const layers: { -readonly [K in keyof RolloutLayers]: RolloutLayers[K] } = rest;
  if (state.runtime) layers.runtime = { ...state.runtime, where };
  if (state.killSwitch) layers.killSwitch = { ...state.killSwitch, where, persisted: true };
  return layers;
}

/**
 * `config` with the runtime state of a store that keeps it elsewhere (a fleet's database) in
 * place of the environment file's blocks, kept at `where`: what the controller and the CLI see
 * when the file is not the runtime store.
 */
export function withStoredState(
  config: LoadedConfig,
  state: RuntimeState,
  where: string,
): LoadedConfig {
  const { runtime: _runtime, killSwitch: _killSwitch, ...rest } = config.rolloutLayers;
  const rolloutLayers: {
    -readonly [K in keyof typeof config.rolloutLayers]: (typeof config.rolloutLayers)[K];
  } = rest;
  if (state.runtime)
    rolloutLayers.runtime = { block: runtimeBlockOf(state.runtime), origin: where };
  if (state.killSwitch) {
    rolloutLayers.killSwitch = { block: rollbackBlockOf(state.killSwitch), origin: where };
  }
  return { ...config, rolloutLayers };
}
