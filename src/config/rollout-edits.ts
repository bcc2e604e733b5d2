import { join } from 'node:path';
import { FlagrouteError } from '../errors.js';
import { setKillSwitch } from './edit-environment.js';
import type { LoadedConfig } from './loaded-config.js';

/** What an edit of the rollout did to the environment file, for the message that reports it. */
export interface RolloutEdit {
  /** The environment file written. */
  file: string;
  /** Effective rollout percentage before the edit (every layer applied). */
  before: number;
  /** Effective rollout percentage after it, as every instance will load it. */
  after: number;
  /** Whether the kill switch was engaged, lifted, or left as it was. */
  killSwitch: 'engaged' | 'lifted' | 'unchanged';
}

function environmentFile(config: LoadedConfig): string {
  return join(config.configDir, 'environments', `${config.environment}.yaml`);
}

/** The value the layers under the kill switch give: the variable's, else the file's. */
function belowKillSwitch(config: LoadedConfig, fileValue: number): number {
  return config.rolloutLayers.variable?.value ?? fileValue;
}

/**
 * Engages the kill switch in the environment file: a `rollback:` block with the time and the
 * reason, which holds the rollout at 0 % in every region, above every variable and runtime
 * change, until lifted by {@link liftKillSwitch} or {@link setFileRollout}.
 */
export async function engageKillSwitch(
  config: LoadedConfig,
  reason: string,
  at: Date,
): Promise<RolloutEdit> {
  const file = environmentFile(config);
  const before = config.settings.rollout_percentage;
  if (config.rolloutLayers.killSwitch) return { file, before, after: 0, killSwitch: 'unchanged' };
  await setKillSwitch(file, {
    at: at.toISOString(),
    reason,
    trigger: 'manual',
    previous_percentage: before,
  });
  return { file, before, after: 0, killSwitch: 'engaged' };
}

/** Removes the file's kill switch: the rollout returns to what the layers below it say. */
export async function liftKillSwitch(config: LoadedConfig): Promise<RolloutEdit> {
  const file = environmentFile(config);
  const before = config.settings.rollout_percentage;
  const after = belowKillSwitch(config, config.rolloutLayers.file.value);
  if (!config.rolloutLayers.killSwitch) return { file, before, after, killSwitch: 'unchanged' };
  await setKillSwitch(file, null);
  return { file, before, after, killSwitch: 'lifted' };
}

/**
 * Sets `rollout_percentage` in the environment file (lifting the kill switch in the same write;
 * 0 engages it instead). Refuses with `SHADOWED_BY_VARIABLE`, naming the variable, when a
 * `LIGHTRAG_ROLLOUT_PERCENTAGE` in `config`'s environment would keep the change from taking
 * effect; nothing is written then.
 */
export async function setFileRollout(
  config: LoadedConfig,
  percentage: number,
  reason: string,
  at: Date,
): Promise<RolloutEdit> {
  if (percentage === 0) return engageKillSwitch(config, reason, at);
  const variable = config.rolloutLayers.variable;
  if (variable) {
    throw new FlagrouteError(
      'SHADOWED_BY_VARIABLE',
      `${variable.variable}=${variable.value} overrides rollout_percentage in ${config.environmentFile.displayPath}, so setting ${percentage} there would not take effect; unset ${variable.variable} (or change it where it is set), or use "flagroute rollback" for an emergency stop, which beats every variable`,
    );
  }
  const file = environmentFile(config);
  const before = config.settings.rollout_percentage;
  await setKillSwitch(file, null, {
    percentage,
    note: `set by flagroute at ${at.toISOString()}: ${reason}`,
  });
  return {
    file,
    before,
    after: percentage,
    killSwitch: config.rolloutLayers.killSwitch ? 'lifted' : 'unchanged',
  };
}
