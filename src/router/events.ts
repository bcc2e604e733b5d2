import type { ConfigIssue } from '../config/issues.js';
import type { RecordedOutcome } from '../outcomes/index.js';
import type { KillSwitch } from '../rollout-layers/index.js';
import type { BreakerTransition } from '../safety/circuit-breaker.js';
import type { GateTransition } from '../safety/quality-gate.js';

/** A setting that changed in a reload: `old -> new` (the salt shown masked). */
export interface ChangedKey {
  key: string;
  from: unknown;
  to: unknown;
}

/** Emitted after a reload swapped in a new configuration. */
export interface ReloadEvent {
  configVersion: string;
  previousVersion: string;
  changedKeys: ChangedKey[];
}

/** Emitted when a reload found problems; the previous configuration keeps serving. */
export interface ReloadErrorEvent {
  errors: ConfigIssue[];
}

/**
 * Emitted once per file when a watched configuration file was changed in place (its inode
 * kept) rather than replaced by a rename: a writer pausing at a line boundary could be read
 * half-written, which no reader can detect.
 */
export interface WrittenInPlaceEvent {
  /** The file, relative to the config directory. */
  file: string;
}

/**
 * Emitted when the kill switch was engaged by a trigger or by hand: the kill switch, and
 * whether the runtime store took it (false: this process only, lost at restart).
 */
export interface RollbackEvent extends KillSwitch {
  persisted: boolean;
}

/** Emitted when the rollout percentage changes at runtime. */
export interface RolloutChangeEvent {
  from: number;
  to: number;
  reason: string;
  persisted: boolean;
}

/** Emitted after an outcome was recorded (for metrics and listeners; not for decisions). */
export type OutcomeRecordedEvent = RecordedOutcome;

/** Every event a router emits, by name. */
export interface RouterEvents {
  outcome: OutcomeRecordedEvent;
  reload: ReloadEvent;
  reloadError: ReloadErrorEvent;
  writtenInPlace: WrittenInPlaceEvent;
  breaker: BreakerTransition;
  qualityGate: GateTransition;
  rollback: RollbackEvent;
  rolloutChange: RolloutChangeEvent;
}

/** The names of the router's events. */
export const ROUTER_EVENTS = [
  'reload',
  'reloadError',
  'writtenInPlace',
  'breaker',
  'qualityGate',
  'rollback',
  'rolloutChange',
  'outcome',
] as const satisfies readonly (keyof RouterEvents)[];
