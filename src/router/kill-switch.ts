import type { RolloutLayers } from '../config/load-config.js';
import type { RollbackBlock } from '../config/types.js';
import { FlagrouteError, InvalidArgumentError } from '../errors.js';
import type { RollbackEvent } from './events.js';

/** Throws unless `percentage` is a number from 0 to 100. */
export function checkPercentage(percentage: unknown): asserts percentage is number {
  if (
    typeof percentage !== 'number' ||
    !Number.isFinite(percentage) ||
    percentage < 0 ||
    percentage > 100
  ) {
    throw new InvalidArgumentError(
      'rollout percentage',
      `must be a number from 0 to 100, got ${String(percentage)}`,
    );
  }
}

/** Refuses a raise that would not take effect, rather than report a change that is not made. */
export function refuseIneffectiveRaise(layers: RolloutLayers, persist: boolean): void {
  if (layers.killSwitch && !persist) {
    throw new FlagrouteError(
      'KILL_SWITCH_ENGAGED',
      `the kill switch of the environment file (${layers.killSwitch.origin}) holds the rollout at 0 %; lift it with resumeRollout(), or raise with { persist: true }, which removes it`,
    );
  }
  const variable = layers.variable;
  if (variable && persist) {
    throw new FlagrouteError(
      'SHADOWED_BY_VARIABLE',
      `${variable.variable}=${variable.value} overrides rollout_percentage in the environment file, so writing the file would not take effect; unset ${variable.variable}, or change it where it is set`,
    );
  }
}

/** The file's block for a rollback engaged here. */
export function blockOf(event: RollbackEvent): RollbackBlock {
  return {
    at: event.at,
    reason: event.reason,
    trigger: event.trigger,
    previous_percentage: event.previousPercentage,
  };
}

/** The rollback event a file's block stands for. */
export function eventOf(block: Readonly<RollbackBlock>, filePercentage: number): RollbackEvent {
  return {
    trigger: block.trigger ?? 'manual',
    reason: block.reason,
    previousPercentage: block.previous_percentage ?? filePercentage,
    persisted: true,
    at: block.at,
  };
}
