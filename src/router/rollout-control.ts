import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { setEnvironmentValue } from '../config/edit-environment.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { EnvironmentSettings } from '../config/types.js';
import type { TriggerFiring } from '../safety/rollback-monitor.js';
import type { RollbackEvent, RouterEvents } from './events.js';

/** A runtime change to a setting, made through the API. */
export interface RuntimeOverride {
  value: number;
  reason: string;
  at: string;
}

/** What the rollout control needs from its router. */
export interface RolloutHost {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The configuration loaded now (where a persisted change is written). */
  loaded(): LoadedConfig;
  /** The settings in force now. */
  settings(): Readonly<EnvironmentSettings>;
  /** Rebuilds the snapshot after the override changed. */
  apply(): void;
  /** Arms the rollback triggers again with empty windows. */
  rearmTriggers(): void;
  emit<K extends keyof RouterEvents>(event: K, payload: RouterEvents[K]): void;
}

/**
 * Runtime changes of the rollout percentage and rollbacks: the override in force, the rollback
 * in force, and writing either to the environment file (comments and key order kept).
 */
export class RolloutControl {
  private current: RuntimeOverride | undefined;
  private rolledBack: RollbackEvent | null = null;

  constructor(private readonly host: RolloutHost) {}

  /** The runtime override of `rollout_percentage`, if any. */
  get override(): RuntimeOverride | undefined {
    return this.current;
  }

  /** The rollback in force, if the rollout was rolled back and not raised since. */
  get rollback(): RollbackEvent | null {
    return this.rolledBack;
  }

  /** The loaded settings with the override applied. */
  settingsFrom(loaded: Readonly<EnvironmentSettings>): Readonly<EnvironmentSettings> {
    return this.current
      ? Object.freeze({ ...loaded, rollout_percentage: this.current.value })
      : loaded;
  }

  /** See `Router.updateRolloutPercentage`. */
  async update(percentage: number, options: { persist?: boolean; reason?: string }): Promise<void> {
    if (
      typeof percentage !== 'number' ||
      !Number.isFinite(percentage) ||
      percentage < 0 ||
      percentage > 100
    ) {
      throw new RangeError(
        `rollout percentage must be a number from 0 to 100, got ${String(percentage)}`,
      );
    }
    const from = this.host.settings().rollout_percentage;
    const reason =
      options.reason ?? (percentage === 0 ? 'emergency rollback' : 'set through the API');
    this.set(percentage, reason);
    if (percentage > 0) this.clearRollback();
    this.host.logger.info(
      { from, to: percentage, reason },
      `rollout percentage ${from} -> ${percentage}: ${reason}`,
    );
    let persisted = false;
    if (options.persist) {
      await this.persist(percentage, reason);
      persisted = true;
    }
    this.host.emit('rolloutChange', { from, to: percentage, reason, persisted });
    if (percentage === 0) {
      this.record({
        trigger: 'manual',
        reason,
        previousPercentage: from,
        persisted,
        at: this.now(),
      });
    }
  }

  /** A trigger fired: roll back to 0 at once, then persist if the environment says so. */
  async rollBack(firing: TriggerFiring): Promise<void> {
    const previousPercentage = this.host.settings().rollout_percentage;
    if (previousPercentage === 0) return;
    const reason = `automatic rollback (${firing.trigger}: ${firing.reason})`;
    this.set(0, reason);
    this.host.logger.warn(
      { trigger: firing.trigger, previousPercentage },
      `rollback to 0 %: ${firing.reason}`,
    );
    let persisted = false;
    if (this.host.settings().rollback_triggers.persist) {
      try {
        await this.persist(0, reason);
        persisted = true;
      } catch (error) {
        this.host.logger.error(
          { err: error },
          'could not write the rollback to the environment file',
        );
      }
    }
    this.record({
      trigger: firing.trigger,
      reason: firing.reason,
      previousPercentage,
      persisted,
      at: this.now(),
    });
  }

  /**
   * A reload changed the file's `rollout_percentage`: the file wins over a runtime change, and a
   * raised rollout ends a rollback.
   */
  fileChanged(filePercentage: number): void {
    if (this.current) {
      this.host.logger.info(
        { override: this.current, file: filePercentage },
        'rollout_percentage changed in the file; the file value replaces the runtime change',
      );
      this.current = undefined;
    }
    if (filePercentage > 0) this.clearRollback();
  }

  private set(value: number, reason: string): void {
    this.current = { value, reason, at: this.now() };
    this.host.apply();
  }

  private record(event: RollbackEvent): void {
    this.rolledBack = event;
    this.host.emit('rollback', event);
  }

  private clearRollback(): void {
    this.rolledBack = null;
    this.host.rearmTriggers();
  }

  private async persist(percentage: number, reason: string): Promise<void> {
    const loaded = this.host.loaded();
    const file = join(loaded.configDir, 'environments', `${loaded.environment}.yaml`);
    await setEnvironmentValue(
      file,
      'rollout_percentage',
      percentage,
      `set by flagroute at ${this.now()}: ${reason}`,
    );
  }

  private now(): string {
    return new Date(this.host.clock.now()).toISOString();
  }
}
