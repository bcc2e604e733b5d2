import type { LoadedConfig } from '../config/loaded-config.js';
import { checkPercentage } from './check-percentage.js';
import { checkReason, STORED_REASON_LENGTH } from './check-reason.js';
import { layersWith } from './config-layers.js';
import { effective } from './effective.js';
import type { RuntimeChange } from './environment-file.js';
import type {
  EffectiveRollout,
  KillSwitchTrigger,
  RolloutLayers,
  RuntimeSetter,
  RuntimeState,
} from './layers.js';
import {
  type ChangeFacts,
  killSwitchLiftedMessage,
  killSwitchSetMessage,
  rolloutSetMessage,
  runtimeClearedMessage,
  shadowSetMessage,
} from './messages.js';
import type { RuntimeLayerStore } from './runtime-layer-store.js';

/** What a verb works on: the configuration (the layers below the store) and the store. */
export interface LayerTarget {
  readonly config: LoadedConfig;
  readonly store: RuntimeLayerStore;
}

/** What a verb did, in numbers and in one line that says it. */
export interface LayerEdit {
  before: EffectiveRollout;
  after: EffectiveRollout;
  /** The layers after the change. */
  layers: RolloutLayers;
  runtime: 'set' | 'cleared' | 'unchanged';
  killSwitch: 'engaged' | 'lifted' | 'unchanged';
  /** What happened, for the CLI, the log and the API (no file-system path: the store's location). */
  message: string;
}

/** Options every verb takes. */
export interface VerbOptions {
  reason: string;
  /** When (the caller's clock). */
  at: Date;
}

/**
 * Sets the runtime layer: the rollout percentage above the file and every variable, kept until
 * cleared. A person's change (`setBy: 'operator'`) lifts the kill switch in the same write, as an
 * explicit action with a reason; the plan's (`setBy: 'plan'`) never does: it is refused with
 * `KILL_SWITCH_ENGAGED` while a kill switch is stored, unless `liftKillSwitch` (a person's plan
 * command) says so. 0 is a rollback: it engages the kill switch ({@link rollBack}), as the guide's
 * emergency rollback `update_rollout_percentage(0.0)` does; docs/configuration.md says why.
 */
export async function setRollout(
  target: LayerTarget,
  options: VerbOptions & { percentage: number; setBy: RuntimeSetter; liftKillSwitch?: boolean },
): Promise<LayerEdit> {
  checkPercentage(options.percentage);
  if (options.percentage === 0) return rollBack(target, { ...options, trigger: 'manual' });
  return setRuntime(target, options, { percentage: options.percentage }, rolloutSetMessage);
}

/**
 * Sets a shadow stage in the runtime layer: no user served by LightRAG (the runtime layer at
 * 0 %, capping every region, not the kill switch) and `shadowPercentage` of the queries
 * Perplexity serves at assignment also answered by LightRAG in the shadow (docs/shadow.md).
 * Like {@link setRollout}, a person's change lifts the kill switch and the plan's is refused
 * with `KILL_SWITCH_ENGAGED` while one is stored (the kill switch means no LightRAG calls).
 */
export async function setShadow(
  target: LayerTarget,
  options: VerbOptions & {
    shadowPercentage: number;
    setBy: RuntimeSetter;
    liftKillSwitch?: boolean;
  },
): Promise<LayerEdit> {
  checkPercentage(options.shadowPercentage);
  const served = { percentage: 0, shadowPercentage: options.shadowPercentage };
  return setRuntime(target, options, served, shadowSetMessage);
}

/**
 * Writes the runtime layer `served` (what {@link setRollout} or {@link setShadow} set), by
 * `options.setBy`, lifting the kill switch or refused by it as they say, and says so with `message`.
 */
async function setRuntime(
  target: LayerTarget,
  options: VerbOptions & { setBy: RuntimeSetter; liftKillSwitch?: boolean },
  served: { percentage: number; shadowPercentage?: number },
  message: (facts: ChangeFacts, lifted: boolean) => string,
): Promise<LayerEdit> {
  const lift = options.liftKillSwitch ?? options.setBy === 'operator';
  const { percentage, shadowPercentage } = served;
  const runtime = {
    percentage,
    setBy: options.setBy,
    reason: options.reason,
    at: options.at.toISOString(),
    ...(shadowPercentage === undefined ? {} : { shadowPercentage }),
  };
  const change: RuntimeChange = lift
    ? { runtime, killSwitch: null }
    : { runtime, unlessKillSwitch: true };
  const { facts, written } = await applyChange(target, change, options.reason);
  const lifted = written.before.killSwitch !== null && written.after.killSwitch === null;
  return edit(facts, 'set', lifted ? 'lifted' : 'unchanged', message(facts, lifted));
}

/** Clears the runtime layer: the rollout returns to what the file or a variable says. */
export async function clearRollout(target: LayerTarget, options: VerbOptions): Promise<LayerEdit> {
  const { facts, written } = await applyChange(target, { runtime: null }, options.reason);
  const cleared = written.before.runtime !== null;
  return edit(
    facts,
    cleared ? 'cleared' : 'unchanged',
    'unchanged',
    runtimeClearedMessage(facts, cleared),
  );
}

/**
 * Engages the kill switch: 0 % in every region, above every layer, until lifted by
 * {@link resumeRollout} (or a person's {@link setRollout}). One already engaged is kept.
 */
export async function rollBack(
  target: LayerTarget,
  options: VerbOptions & { trigger?: KillSwitchTrigger },
): Promise<LayerEdit> {
  const now = await target.store.readRuntime();
  const previousPercentage = effective(
    layersWith(target.config, now, target.store.runtimeLocation),
  ).percentage;
  const killSwitch = {
    trigger: options.trigger ?? 'manual',
    reason: options.reason,
    at: options.at.toISOString(),
    previousPercentage,
  };
  const { facts, written } = await applyChange(target, { killSwitch }, options.reason);
  const engaged = written.before.killSwitch === null;
  return edit(
    facts,
    'unchanged',
    engaged ? 'engaged' : 'unchanged',
    killSwitchSetMessage(facts, engaged),
  );
}

/** Lifts the kill switch: the rollout returns to what the layers below it say. */
export async function resumeRollout(target: LayerTarget, options: VerbOptions): Promise<LayerEdit> {
  const { facts, written } = await applyChange(target, { killSwitch: null }, options.reason);
  const lifted = written.before.killSwitch !== null;
  return edit(
    facts,
    'unchanged',
    lifted ? 'lifted' : 'unchanged',
    killSwitchLiftedMessage(facts, lifted),
  );
}

async function applyChange(
  target: LayerTarget,
  change: RuntimeChange,
  reason: string,
): Promise<{ facts: ChangeFacts; written: { before: RuntimeState; after: RuntimeState } }> {
  // What the store keeps (people's reasons are held to less where they come in, for the words
  // flagroute adds); a control character would reach the file, the logs and the answers.
  checkReason(reason, STORED_REASON_LENGTH);
  const written = await target.store.updateRuntime(change);
  const where = target.store.runtimeLocation;
  const layers = layersWith(target.config, written.after, where);
  const facts: ChangeFacts = {
    before: effective(layersWith(target.config, written.before, where)),
    after: effective(layers),
    layers,
    reason,
  };
  return { facts, written };
}

function edit(
  facts: ChangeFacts,
  runtime: LayerEdit['runtime'],
  killSwitch: LayerEdit['killSwitch'],
  message: string,
): LayerEdit {
  return {
    before: facts.before,
    after: facts.after,
    layers: facts.layers,
    runtime,
    killSwitch,
    message,
  };
}
