import type { EffectiveRollout, KillSwitch, RolloutLayers } from './layers.js';

/** What a runtime change reported, for the messages below. */
export interface ChangeFacts {
  before: EffectiveRollout;
  after: EffectiveRollout;
  /** The layers after the change. */
  layers: RolloutLayers;
  reason: string;
}

/** "the kill switch (set at ..., why) holds the rollout at 0 %" */
export function killSwitchHolds(killSwitch: KillSwitch): string {
  return `the kill switch (set at ${killSwitch.at}: ${killSwitch.reason}) holds the rollout at 0 % in every region`;
}

/** What stays beneath the runtime layer or the kill switch, so that nobody thinks it lost. */
function beneath(layers: RolloutLayers): string {
  const parts = [`the file's rollout_percentage stays ${layers.file.value}`];
  if (layers.variable) parts.push(`${layers.variable.variable}=${layers.variable.value} too`);
  return parts.join(', ');
}

/** `rollout set`, the admin API, a plan stage. */
export function rolloutSetMessage(facts: ChangeFacts, liftedKillSwitch: boolean): string {
  const runtime = facts.layers.runtime;
  const who = runtime?.setBy === 'plan' ? 'set by the plan' : 'set by an operator';
  const lifted = liftedKillSwitch ? '; kill switch lifted' : '';
  return `rollout ${facts.before.percentage} % -> ${facts.after.percentage} % (runtime layer, ${who}: ${facts.reason})${lifted}; ${beneath(facts.layers)}`;
}

/** A shadow stage set in the runtime layer. */
export function shadowSetMessage(facts: ChangeFacts, liftedKillSwitch: boolean): string {
  const shadowed = facts.layers.runtime?.shadowPercentage ?? 0;
  return `shadow ${shadowed} % of the queries Perplexity serves, ${rolloutSetMessage(facts, liftedKillSwitch)}`;
}

/** `rollout clear`. */
export function runtimeClearedMessage(facts: ChangeFacts, cleared: boolean): string {
  if (!cleared) {
    return `no runtime layer is set; the rollout stays at ${facts.before.percentage} % [${facts.before.origin}]`;
  }
  return `runtime layer cleared (${facts.reason}): rollout ${facts.before.percentage} % -> ${facts.after.percentage} % [${facts.after.origin}]`;
}

/** `rollback`, an emergency rollback, a trigger, a plan's rollback or abort. */
export function killSwitchSetMessage(facts: ChangeFacts, engaged: boolean): string {
  const killSwitch = facts.after.killSwitch;
  if (!engaged && killSwitch) {
    return `kill switch already set at ${killSwitch.at} (${killSwitch.reason}); nothing changed`;
  }
  const below = belowKillSwitch(facts.layers);
  const runtime = facts.layers.runtime
    ? `, the runtime layer's ${facts.layers.runtime.percentage} %`
    : '';
  return `kill switch set (${facts.reason}), ${facts.before.percentage} % -> 0 % in every region; ${beneath(facts.layers)}${runtime}: "flagroute rollout resume" returns to ${below} %`;
}

/** `rollout resume`. */
export function killSwitchLiftedMessage(facts: ChangeFacts, lifted: boolean): string {
  if (!lifted) {
    return `no kill switch is set; the rollout stays at ${facts.before.percentage} % [${facts.before.origin}]`;
  }
  return `kill switch lifted (${facts.reason}): rollout ${facts.before.percentage} % -> ${facts.after.percentage} % [${facts.after.origin}]`;
}

/** The percentage the layers under the kill switch give. */
export function belowKillSwitch(layers: RolloutLayers): number {
  return layers.runtime?.percentage ?? layers.variable?.value ?? layers.file.value;
}

/** A raise refused while the stored kill switch holds and the change would not lift it. */
export function raiseUnderKillSwitch(where: string): string {
  return `the kill switch (${where}) holds the rollout at 0 %; lift it with resumeRollout() ("flagroute rollout resume"), or raise with { persist: true }, which lifts it`;
}
