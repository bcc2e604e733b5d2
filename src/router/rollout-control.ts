import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { EnvironmentSettings } from '../config/types.js';
import type { RolloutView } from '../decision/snapshot.js';
import { FlagrouteError } from '../errors.js';
import {
  checkPercentage,
  checkReason,
  type EffectiveRollout,
  effective,
  effectiveShadow,
  FileRuntimeLayer,
  type KillSwitchTrigger,
  type LayerTarget,
  type LocalLayers,
  layersOf,
  type RolloutLayers,
  type RuntimeLayerStore,
  type RuntimeState,
  raiseUnderKillSwitch,
  resumeRollout,
  rollBack,
  servedSettings,
  setRollout,
  storedState,
  withStoredState,
} from '../rollout-layers/index.js';
import type { TriggerFiring } from '../safety/rollback-monitor.js';
import type { RollbackEvent, RouterEvents } from './events.js';

/** What the rollout control needs from its router, all made before it. */
export interface RolloutHost {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Base of the file paths shown in messages. */
  readonly cwd: string;
  /** The configuration loaded now. */
  loaded(): LoadedConfig;
  emit<K extends keyof RouterEvents>(event: K, payload: RouterEvents[K]): void;
  /** Serves the layers anew (one changed in this process). */
  serve(): void;
  /** Re-reads the configuration, so that this process follows a write of the store at once. */
  reload(): Promise<unknown>;
  /** Arms the rollback triggers again with empty windows (the kill switch was lifted). */
  rearm(): void;
}

/** Options of a runtime rollout change. */
export interface RolloutChangeOptions {
  /** Write the change to the runtime store (the environment file), so that every instance follows. */
  persist?: boolean;
  /** Why; recorded in the event, the log and the store. */
  reason?: string;
}

/**
 * The router's hand on the rollout layers: what they add up to now (`src/rollout-layers`'
 * `effective` over the loaded layers and this process's own), and the guide's
 * `updateRolloutPercentage` and `resumeRollout` and the triggers' rollback, through the verbs
 * of `src/rollout-layers` on the runtime store. A layer kept in this process only (a change
 * without `persist`, a rollback the store could not take) stands until an explicit action, or
 * until the store's runtime state changes (someone else's newer explicit action).
 */
export class RolloutControl {
  private local: LocalLayers = {};
  /** The runtime state of a store other than the environment file, as last heard. */
  private fromStore: RuntimeState | undefined;

  /**
   * `store`: where the runtime layer and the kill switch live when not in the environment
   * file (a fleet's store), with its state read at start; without one, the file.
   */
  constructor(
    private readonly host: RolloutHost,
    private readonly store?: { layer: RuntimeLayerStore; initial: RuntimeState },
  ) {
    this.fromStore = store?.initial;
  }

  /** Every layer now, lowest first. */
  layers(loaded: LoadedConfig = this.host.loaded()): RolloutLayers {
    return layersOf(this.withStore(loaded), this.local);
  }

  /**
   * Follows the store's changes (another instance's rollback, a plan stage), serving each at
   * once; returns the function that stops. Nothing to follow in file mode: reloads do it.
   */
  follow(): () => void {
    if (!this.store) return () => undefined;
    return this.store.layer.subscribeRuntime((state) => this.heard(state));
  }

  /** The store's runtime state changed: serve it, and let this process's own layers give way. */
  private heard(state: RuntimeState): void {
    const before = this.fromStore ?? { runtime: null, killSwitch: null };
    this.fromStore = state;
    this.giveWay(before, state);
    this.host.serve();
  }

  /** `loaded` with the store's runtime state in place of the file's, when a store keeps it. */
  private withStore(loaded: LoadedConfig): LoadedConfig {
    const store = this.store;
    return store && this.fromStore
      ? withStoredState(loaded, this.fromStore, store.layer.runtimeLocation)
      : loaded;
  }

  /** What the layers add up to now. */
  effective(loaded: LoadedConfig = this.host.loaded()): EffectiveRollout {
    return effective(this.layers(loaded));
  }

  /** What to serve from `loaded`: its settings with the effective percentage, and the view. */
  servedFrom(loaded: LoadedConfig): {
    settings: Readonly<EnvironmentSettings>;
    rollout: RolloutView;
  } {
    const layers = this.layers(loaded);
    const now = effective(layers);
    const settings = servedSettings(loaded.settings, now, effectiveShadow(layers, loaded.settings));
    const held = now.killSwitch;
    const killSwitch = held ? `the kill switch (set at ${held.at}: ${held.reason})` : null;
    return { settings, rollout: { regionCap: now.regionCap, origin: now.origin, killSwitch } };
  }

  /** The kill switch in force, as the rollback event it stands for, if any. */
  get rollback(): RollbackEvent | null {
    const killSwitch = this.effective().killSwitch;
    if (!killSwitch) return null;
    const { trigger, reason, previousPercentage, persisted, at } = killSwitch;
    return { trigger, reason, previousPercentage, persisted, at };
  }

  /** See `Router.updateRolloutPercentage`. */
  async update(percentage: number, options: RolloutChangeOptions): Promise<void> {
    checkPercentage(percentage);
    if (options.reason !== undefined) checkReason(options.reason);
    const persist = options.persist === true;
    const reason =
      options.reason ?? (percentage === 0 ? 'emergency rollback' : 'set through the API');
    if (percentage === 0) return this.engage({ trigger: 'manual', reason }, persist, reason);
    const stored = this.withStore(this.host.loaded()).rolloutLayers.killSwitch;
    if (stored && !persist) {
      throw new FlagrouteError('KILL_SWITCH_ENGAGED', raiseUnderKillSwitch(stored.origin));
    }
    const before = this.effective();
    const from = before.percentage;
    const at = this.now();
    if (persist) {
      await setRollout(this.target(), { percentage, reason, at: new Date(at), setBy: 'operator' });
      this.local = {};
    } else {
      this.local = { runtime: { percentage, setBy: 'operator', reason, at } };
    }
    if (before.killSwitch) this.host.rearm();
    this.host.serve();
    if (persist) await this.written();
    this.host.logger.info(
      { from, to: percentage, reason },
      `rollout percentage ${from} -> ${percentage}: ${reason}`,
    );
    this.host.emit('rolloutChange', { from, to: percentage, reason, persisted: persist });
  }

  /**
   * Lifts the kill switch (this process's own and the store's), returning to the percentage the
   * layers below give. Writes the store only when it holds a kill switch.
   */
  async resume(options: { reason?: string } = {}): Promise<void> {
    const reason = options.reason === undefined ? 'rollout resumed' : checkReason(options.reason);
    const stored = this.withStore(this.host.loaded()).rolloutLayers.killSwitch !== undefined;
    const from = this.effective().percentage;
    this.local = this.local.runtime ? { runtime: this.local.runtime } : {};
    this.host.rearm();
    this.host.serve();
    if (stored) {
      await resumeRollout(this.target(), { reason, at: new Date(this.host.clock.now()) });
      await this.written();
    }
    const to = this.effective().percentage;
    this.host.logger.info({ from, to, reason }, `rollout resumed: ${reason}`);
    this.host.emit('rolloutChange', { from, to, reason, persisted: stored });
  }

  /**
   * A trigger fired: roll back to 0 at once, then persist if the environment says so and
   * `persist` is not false (it is false when anonymous outcomes fed the triggers: anyone could
   * have pulled them, so the kill switch stays in this process and is lost at restart).
   */
  async rollBack(firing: TriggerFiring, options: { persist?: boolean } = {}): Promise<void> {
    if (this.effective().percentage === 0) return;
    const persist = this.host.loaded().settings.rollback_triggers.persist;
    if (persist && options.persist === false) {
      this.host.logger.warn(
        { trigger: firing.trigger },
        'the rollback is kept in this process only and not written to the runtime store (the environment file, or the fleet store): anonymous outcomes fed the triggers (set FLAGROUTE_INGEST_TOKEN so that outcomes come from known clients)',
      );
    }
    const stored = `automatic rollback (${firing.trigger}: ${firing.reason})`;
    await this.engage(firing, persist && options.persist !== false, stored).catch(
      (error: unknown) => {
        this.host.logger.error({ err: error }, 'could not write the rollback to the runtime store');
      },
    );
  }

  /**
   * A reload swapped in `next`. A layer kept in this process gives way to a newer explicit
   * action in the store: its runtime change to any change of the stored runtime state; its kill
   * switch only to a kill switch lifted there or a person's runtime change (never to an edit of
   * the file's `rollout_percentage`, a layer below it, nor to a plan stage).
   */
  reloaded(previous: LoadedConfig, next: LoadedConfig): void {
    if (!this.store) this.giveWay(storedState(previous), storedState(next));
  }

  private giveWay(before: RuntimeState, after: RuntimeState): void {
    const { runtime, killSwitch } = this.local;
    if (runtime === undefined && killSwitch === undefined) return;
    if (JSON.stringify(before) === JSON.stringify(after)) return;
    const byPerson =
      after.runtime?.setBy === 'operator' &&
      JSON.stringify(after.runtime) !== JSON.stringify(before.runtime);
    const lifted =
      killSwitch !== undefined && ((before.killSwitch && !after.killSwitch) || byPerson);
    this.local = killSwitch && !lifted ? { killSwitch } : {};
    this.host.logger.info(
      { stored: after, keptHere: this.local },
      "the runtime store changed: this process's own rollout change gives way to it",
    );
    if (lifted && !after.killSwitch) this.host.rearm();
  }

  /** Engages the kill switch here at once, then in the store when `persist`. */
  private async engage(
    cause: { trigger: KillSwitchTrigger; reason: string },
    persist: boolean,
    storedReason: string,
  ): Promise<void> {
    const from = this.effective().percentage;
    const at = this.now();
    const killSwitch = {
      trigger: cause.trigger,
      reason: cause.reason,
      at,
      previousPercentage: from,
    };
    this.local = { ...this.local, killSwitch };
    this.host.serve();
    const level = cause.trigger === 'manual' ? 'info' : 'warn';
    this.host.logger[level](
      { trigger: cause.trigger, previousPercentage: from },
      `rollback to 0 %: ${cause.reason}`,
    );
    let persisted = false;
    let unwritten: unknown;
    if (persist) {
      try {
        const target = this.target();
        await rollBack(target, { reason: storedReason, at: new Date(at), trigger: cause.trigger });
        persisted = true;
        await this.written();
      } catch (error) {
        // An emergency rollback is never turned away: it holds here even when the store
        // cannot take it, and says so (persisted: false) before the error is passed on.
        unwritten = error;
      }
    }
    if (cause.trigger === 'manual') {
      this.host.emit('rolloutChange', { from, to: 0, reason: cause.reason, persisted });
    }
    this.host.emit('rollback', { ...killSwitch, persisted });
    if (unwritten !== undefined) throw unwritten;
  }

  private target(): LayerTarget {
    const config = this.withStore(this.host.loaded());
    if (this.store) return { config, store: this.store.layer };
    const { configDir, environment } = config;
    return { config, store: new FileRuntimeLayer({ configDir, environment, cwd: this.host.cwd }) };
  }

  /** The store was written: follow it at once (its subscription may come later, or not here). */
  private async written(): Promise<void> {
    if (this.store) this.heard(await this.store.layer.readRuntime());
    else await this.host.reload();
  }

  private now(): string {
    return new Date(this.host.clock.now()).toISOString();
  }
}
