/**
 * The rollout layers, owned in one place: what they add up to ({@link effective}), the verbs
 * that change the runtime layer and the kill switch ({@link setRollout}, {@link clearRollout},
 * {@link rollBack}, {@link resumeRollout}) over a {@link RuntimeLayerStore}, and file mode's
 * store, the only writer of the environment file.
 *
 * @packageDocumentation
 */
export { checkPercentage } from './check-percentage.js';
export {
  checkReason,
  givenReason,
  MAX_REASON_LENGTH,
  reasonProblem,
  STORED_REASON_LENGTH,
} from './check-reason.js';
export {
  type LocalLayers,
  layersOf,
  layersWith,
  storedState,
  THIS_PROCESS,
  withStoredState,
} from './config-layers.js';
export {
  type EffectiveShadow,
  effective,
  effectiveShadow,
  killSwitchOrigin,
  runtimeOrigin,
  servedSettings,
} from './effective.js';
export { environmentFileOf, type RuntimeChange } from './environment-file.js';
export { FileRuntimeLayer } from './file-runtime-layer.js';
export * from './layers.js';
export { belowKillSwitch, killSwitchHolds, raiseUnderKillSwitch } from './messages.js';
export {
  clearRollout,
  type LayerEdit,
  type LayerTarget,
  resumeRollout,
  rollBack,
  setRollout,
  setShadow,
  type VerbOptions,
} from './rollout-verbs.js';
export type { RuntimeLayerStore } from './runtime-layer-store.js';
