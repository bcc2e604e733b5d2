import type { LoadedRegion, LoadedRolloutLayers, Origin } from '../config/loaded-config.js';

/** Who set the runtime layer: a person (CLI, admin API, dashboard) or the rollout plan. */
export const RUNTIME_SETTERS = ['operator', 'plan'] as const;
/** Who set the runtime layer. */
export type RuntimeSetter = (typeof RUNTIME_SETTERS)[number];

/** What engaged a kill switch: a person, or one of the rollback triggers. */
export const KILL_SWITCH_TRIGGERS = [
  'manual',
  'error_rate',
  'quality',
  'circuit_breaker',
  'response_time',
] as const;
/** What engaged a kill switch. */
export type KillSwitchTrigger = (typeof KILL_SWITCH_TRIGGERS)[number];

/**
 * The runtime layer: the rollout percentage an operator or the plan set, above the file's
 * value and every `LIGHTRAG_*` variable, below the kill switch; kept until cleared.
 */
export interface RuntimeLayer {
  readonly percentage: number;
  readonly setBy: RuntimeSetter;
  readonly reason: string;
  /** When (ISO 8601). */
  readonly at: string;
  /**
   * The shadow share it serves (a plan's shadow stage, an operator), above the environment
   * file's `shadow.percentage`; absent: the file's. The kill switch holds it at 0.
   */
  readonly shadowPercentage?: number;
}

/** The kill switch: 0 % in every region, above every other layer, until lifted. */
export interface KillSwitch {
  readonly trigger: KillSwitchTrigger;
  readonly reason: string;
  /** When (ISO 8601). */
  readonly at: string;
  /** The effective rollout percentage before it was engaged. */
  readonly previousPercentage: number;
}

/** What a runtime store holds for one environment: the runtime layer and the kill switch. */
export interface RuntimeState {
  readonly runtime: RuntimeLayer | null;
  readonly killSwitch: KillSwitch | null;
}

/** The runtime layer with where it is kept (`environments/production.yaml:9`, this process). */
export type PlacedRuntime = RuntimeLayer & { readonly where: string };

/** The kill switch with where it is kept, and whether other instances see it. */
export type PlacedKillSwitch = KillSwitch & { readonly where: string; readonly persisted: boolean };

/**
 * Every layer with a say in the rollout, lowest first; {@link effective} adds them up. The
 * file's value and the variable are the loaded ones; the runtime layer and the kill switch are
 * placed (read from whichever store keeps them, or this process); the regions are the loaded
 * geography rules.
 */
export interface RolloutLayers extends Pick<LoadedRolloutLayers, 'file' | 'variable'> {
  /** The runtime layer. */
  readonly runtime?: PlacedRuntime;
  /** The kill switch. */
  readonly killSwitch?: PlacedKillSwitch;
  /** The regions' own percentages (the geography rules, with where each was written). */
  readonly regions: readonly LoadedRegion[];
}

/** The layer the effective rollout percentage comes from. */
export type LayerName = 'file' | 'default' | 'variable' | 'runtime' | 'kill_switch';

/** What one region serves, and why. */
export interface RegionShare {
  /** The region's effective percentage. */
  rolloutPercentage: number;
  /** Its geography rule's percentage. */
  configured: number;
  /** Where the geography rule was written. */
  origin: Origin;
  /** Why it serves what it serves, in words. */
  why: string;
}

/** What the layers add up to. */
export interface EffectiveRollout {
  /** The environment's rollout percentage. */
  percentage: number;
  /** The layer it comes from. */
  layer: LayerName;
  /** The layer in words, with where it is kept and why it was set. */
  origin: string;
  /** The kill switch, while it is engaged. */
  killSwitch: PlacedKillSwitch | null;
  /** The cap on every region (the runtime layer's percentage while it governs), else null. */
  regionCap: number | null;
  /** Each region's effective share. */
  regions: Record<string, RegionShare>;
}
