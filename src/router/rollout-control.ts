import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { setKillSwitch } from '../config/edit-environment.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { EnvironmentSettings, RollbackBlock } from '../config/types.js';
import type { TriggerFiring } from '../safety/rollback-monitor.js';
import type { RollbackEvent, RouterEvents } from './events.js';
import { blockOf, checkPercentage, eventOf, refuseIneffectiveRaise } from './kill-switch.js';

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
  emit<K extends keyof RouterEvents>(event: K, payload: RouterEvents[K]): void;
}

/** Who follows the rollout control's changes (set once, by the router's wiring). */
export interface RolloutFollowers {
  /** The override or the kill switch changed: serve the settings anew. */
  changed(): void;
  /** The kill switch was lifted: arm the rollback triggers again with empty windows. */
  lifted(): void;
  /** The environment file was written: re-read it, so that this process follows at once. */
  written(): Promise<unknown>;
}

const NOBODY: RolloutFollowers = {
  changed: () => undefined,
  lifted: () => undefined,
  written: async () => undefined,
};

/** Options of a runtime rollout change. */
export interface RolloutChangeOptions {
  /** Also write the change to the environment file, so that every instance follows. */
  persist?: boolean;
  /** Why; recorded in the event, the log and the file. */
  reason?: string;
}

/**
 * Runtime changes of the rollout percentage and the kill switch. The effective percentage is
 * the highest layer present: schema default < file < `LIGHTRAG_*` variable < runtime override
 * < kill switch (the file's `rollback:` block, or one engaged in this process by an emergency
 * rollback or a trigger). A rollback wins over everything; it is lifted only by an explicit
 * action: `update` to a value above 0, `resume`, or the file's `rollback:` block being removed
 * (or, for a rollback kept in this process only, the file's `rollout_percentage` changing).
 */
export class RolloutControl {
  private current: RuntimeOverride | undefined;
  private engaged: RollbackEvent | null = null;
  private followers: RolloutFollowers = NOBODY;

  constructor(private readonly host: RolloutHost) {}

  /** Who to tell about changes; the router's wiring sets this once. */
  follow(followers: RolloutFollowers): void {
    this.followers = followers;
  }

  /** The runtime override of `rollout_percentage`, if any. */
  get override(): RuntimeOverride | undefined {
    return this.current;
  }

  /** The rollback in force (engaged here, or the file's kill switch), if any. */
  get rollback(): RollbackEvent | null {
    if (this.engaged) return this.engaged;
    const block = this.host.loaded().rolloutLayers.killSwitch?.block;
    return block ? eventOf(block, this.host.loaded().rolloutLayers.file.value) : null;
  }

  /** Where the effective rollout percentage comes from: the top layer present. */
  origin(): string {
    const loaded = this.host.loaded();
    if (loaded.rolloutLayers.killSwitch) return loaded.rolloutLayers.killSwitch.origin;
    if (this.engaged) return `kill switch (engaged in this process: ${this.engaged.reason})`;
    if (this.current) return `runtime (${this.current.reason})`;
    return loaded.origins.get('rollout_percentage') ?? 'default';
  }

  /** The loaded settings with the runtime layers applied. */
  settingsFrom(loaded: Readonly<EnvironmentSettings>): Readonly<EnvironmentSettings> {
    if (loaded.rollback !== null) return loaded; // the file's kill switch: already 0
    if (this.engaged) return Object.freeze({ ...loaded, rollout_percentage: 0 });
    return this.current
      ? Object.freeze({ ...loaded, rollout_percentage: this.current.value })
      : loaded;
  }

  /** See `Router.updateRolloutPercentage`. */
  async update(percentage: number, options: RolloutChangeOptions): Promise<void> {
    checkPercentage(percentage);
    if (percentage > 0)
      refuseIneffectiveRaise(this.host.loaded().rolloutLayers, options.persist === true);
    const from = this.host.settings().rollout_percentage;
    const reason =
      options.reason ?? (percentage === 0 ? 'emergency rollback' : 'set through the API');
    const at = this.now();
    this.current = { value: percentage, reason, at };
    if (percentage > 0) this.lift();
    else
      this.engaged = { trigger: 'manual', reason, previousPercentage: from, persisted: false, at };
    this.followers.changed();
    this.host.logger.info(
      { from, to: percentage, reason },
      `rollout percentage ${from} -> ${percentage}: ${reason}`,
    );
    let persisted = false;
    let unwritten: unknown;
    if (options.persist) {
      try {
        await this.write(
          percentage === 0
            ? { block: blockOf(this.engaged!) }
            : { block: null, rollout: { percentage, note: this.note(reason) } },
        );
        persisted = true;
      } catch (error) {
        // An emergency rollback is never turned away: it holds here even when the file
        // cannot take it, and says so (persisted: false) before the error is passed on.
        if (percentage !== 0) throw error;
        unwritten = error;
      }
    }
    this.host.emit('rolloutChange', { from, to: percentage, reason, persisted });
    if (percentage === 0 && this.engaged) {
      this.engaged = { ...this.engaged, persisted };
      this.host.emit('rollback', this.engaged);
    }
    if (unwritten !== undefined) throw unwritten;
  }

  /**
   * Lifts the kill switch (the one engaged here and the file's `rollback:` block), returning to
   * the percentage the layers below give. Writes the file only when it holds a block.
   */
  async resume(options: { reason?: string } = {}): Promise<void> {
    const reason = options.reason ?? 'rollout resumed';
    const fileBlock = this.host.loaded().rolloutLayers.killSwitch !== undefined;
    const from = this.host.settings().rollout_percentage;
    this.current = undefined;
    this.lift();
    this.followers.changed();
    if (fileBlock) await this.write({ block: null });
    const to = this.host.settings().rollout_percentage;
    this.host.logger.info({ from, to, reason }, `rollout resumed: ${reason}`);
    this.host.emit('rolloutChange', { from, to, reason, persisted: fileBlock });
  }

  /**
   * A trigger fired: roll back to 0 at once, then persist if the environment says so and
   * `persist` is not false (it is false when anonymous outcomes fed the triggers: anyone could
   * have pulled them, so the kill switch stays in this process and is lost at restart).
   */
  async rollBack(firing: TriggerFiring, options: { persist?: boolean } = {}): Promise<void> {
    const previousPercentage = this.host.settings().rollout_percentage;
    if (previousPercentage === 0) return;
    const reason = `automatic rollback (${firing.trigger}: ${firing.reason})`;
    this.engaged = {
      trigger: firing.trigger,
      reason: firing.reason,
      previousPercentage,
      persisted: false,
      at: this.now(),
    };
    this.followers.changed();
    this.host.logger.warn(
      { trigger: firing.trigger, previousPercentage },
      `rollback to 0 %: ${firing.reason}`,
    );
    const persist = this.host.settings().rollback_triggers.persist;
    if (persist && options.persist === false) {
      this.host.logger.warn(
        { trigger: firing.trigger },
        'the rollback is kept in this process only and not written to the environment file: anonymous outcomes fed the triggers (set FLAGROUTE_INGEST_TOKEN so that outcomes come from known clients)',
      );
    } else if (persist) {
      try {
        await this.write({ block: { ...blockOf(this.engaged), reason } });
        this.engaged = { ...this.engaged, persisted: true };
      } catch (error) {
        this.host.logger.error(
          { err: error },
          'could not write the rollback to the environment file',
        );
      }
    }
    this.host.emit('rollback', this.engaged);
  }

  /**
   * A reload swapped in `next`: the file's own value wins over a runtime change; a kill switch
   * kept only in this process ends when the file's `rollout_percentage` changes, and one the
   * file held ends when its block is removed.
   */
  reloaded(previous: LoadedConfig, next: LoadedConfig): void {
    const fileValueChanged =
      previous.rolloutLayers.file.value !== next.rolloutLayers.file.value ||
      previous.settings.rollout_percentage !== next.settings.rollout_percentage;
    const blockRemoved =
      previous.rolloutLayers.killSwitch !== undefined &&
      next.rolloutLayers.killSwitch === undefined;
    if (this.current && fileValueChanged) {
      this.host.logger.info(
        { override: this.current, file: next.settings.rollout_percentage },
        'rollout_percentage changed in the file; the file value replaces the runtime change',
      );
      this.current = undefined;
    }
    if (blockRemoved || (fileValueChanged && next.rolloutLayers.killSwitch === undefined)) {
      this.lift();
    }
  }

  private lift(): void {
    this.engaged = null;
    this.followers.lifted();
  }

  private async write(change: {
    block: RollbackBlock | null;
    rollout?: { percentage: number; note: string };
  }): Promise<void> {
    const loaded = this.host.loaded();
    const file = join(loaded.configDir, 'environments', `${loaded.environment}.yaml`);
    await setKillSwitch(file, change.block, change.rollout);
    await this.followers.written();
  }

  private note(reason: string): string {
    return `set by flagroute at ${this.now()}: ${reason}`;
  }

  private now(): string {
    return new Date(this.host.clock.now()).toISOString();
  }
}
