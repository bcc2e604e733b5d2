import type { Clock } from '../clock.js';
import type { ConfigIssue } from '../config/issues.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { EnvironmentSettings } from '../config/types.js';
import { type RolloutView, type RoutingSnapshot, withSettings } from '../decision/snapshot.js';

/** How the last reload went. */
export interface LastReload {
  ok: boolean;
  at: string;
  errors: ConfigIssue[];
}

/**
 * What a router serves now: the snapshot every decision reads (swapped whole, in one
 * assignment), the loaded configuration behind it, and how the last reload went.
 */
export class ServingState {
  snapshot: RoutingSnapshot;
  loadedAt: number;
  lastReload: LastReload;

  constructor(
    snapshot: RoutingSnapshot,
    private readonly clock: Clock,
  ) {
    this.snapshot = snapshot;
    this.loadedAt = clock.now();
    this.lastReload = { ok: true, at: this.isoNow(), errors: [] };
  }

  /** The loaded configuration, before runtime changes. */
  get loaded(): LoadedConfig {
    return this.snapshot.config;
  }

  /** The settings in force (loaded, with runtime changes). */
  get settings(): Readonly<EnvironmentSettings> {
    return this.snapshot.settings;
  }

  /** Serves a newly loaded snapshot. */
  swap(next: RoutingSnapshot): void {
    this.snapshot = next;
    this.loadedAt = this.clock.now();
  }

  /** Serves the same configuration and engines with other settings (a runtime change). */
  reapply(settings: Readonly<EnvironmentSettings>, rollout: RolloutView): void {
    const { config, evaluator } = this.snapshot;
    this.snapshot = withSettings(config, settings, evaluator, rollout);
  }

  /** The clock's time as ISO 8601. */
  isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
