import type { RuntimeChange, RuntimeLayerStore, RuntimeState } from '../rollout-layers/index.js';
import type { Fault, HealthSnapshot } from './controller-health.js';
import type { PlanCommand, PlanState } from './plan-state.js';

/**
 * The lease a controller holds: its fencing token (the lease's generation, higher for every new
 * holder) is carried by every state write, and a write whose token is not the highest is
 * refused, so a controller that lost its lease (a pause, a partition) cannot act through it.
 */
export interface LeaseGrant {
  token: number;
  holder: string;
  ttlMs: number;
}

/** The lease as a reader sees it now. */
export type LeaseReading =
  /** Nobody holds it: never taken, or released (by `releasedBy`). */
  | { state: 'free'; token: number; releasedBy?: string }
  | {
      state: 'live' | 'expired';
      token: number;
      holder: string;
      /** The holder's last heartbeat, on the holder's clock (ms since the epoch). */
      heartbeatAt: number;
      expiresAt: number;
      /** The holder's health at its last heartbeat, when it reported one. */
      health?: HealthSnapshot;
    }
  /** A heartbeat further ahead than the time to live plus the clock-skew bound: taken over. */
  | { state: 'invalid'; token: number; holder: string; heartbeatAt: number; why: string };

/** What taking the lease gave: the grant, and the lease as it was before (for the log). */
export interface LeaseAcquired {
  grant: LeaseGrant;
  previous: LeaseReading;
}

/** The plan state as stored, with what was found wrong on the way (skipped, unreadable). */
export interface StateReading {
  state: PlanState;
  /** The stored generation read, or null when there is none. */
  generation: string | null;
  /** Newer generations that could not be read, each naming its file. */
  problems: Fault[];
  /** The names of those generations, for {@link PlanStore.setAsideState}. */
  unreadable: string[];
}

/** A person's command queued for the controller that holds the lease. */
export interface QueuedCommand {
  id: string;
  command: PlanCommand;
}

/** What became of a queued command, for the person who queued it. */
export type CommandOutcome =
  | { ok: true; phase: string; reason: string; holder: string }
  | { ok: false; code: string; message: string; holder: string };

/**
 * Where a rollout plan lives between looks: the controller's lease (with fencing), the plan's
 * state, and the commands people queue for the controller. One environment per store. The file
 * store (`FilePlanStore`) keeps it in a directory; a fleet's store keeps it in a database and
 * must behave the same (the runtime-store issue adds the runtime layer and `subscribe`).
 */
export interface PlanStore {
  readonly environment: string;
  /** Where it lives, for messages (a directory). */
  readonly location: string;

  /** The lease now, judged on `now` (the reader's clock). */
  readLease(now: number): Promise<LeaseReading>;
  /**
   * Takes the lease with the next token when it is free, expired or invalid; throws
   * `PLAN_CONFLICT` naming the holder when another holds a live lease, or when another
   * controller took the same generation at the same moment.
   */
  acquireLease(holder: string, now: number, ttlMs: number): Promise<LeaseAcquired>;
  /**
   * Renews the heartbeat (with the holder's health). Throws a `lease_lost` fault when a higher
   * token exists; repairs an unreadable or vanished lease of this token and returns what it
   * repaired.
   */
  renewLease(grant: LeaseGrant, now: number, health?: HealthSnapshot): Promise<Fault[]>;
  /** Throws a `lease_lost` fault when a higher token than the grant's exists (a cheap check). */
  checkLease(grant: LeaseGrant): Promise<void>;
  /** Gives the lease up, if this grant still holds it. */
  releaseLease(grant: LeaseGrant, now: number): Promise<void>;

  /** The newest readable state (pending when there is none). */
  readState(): Promise<StateReading>;
  /** Saves the state as a new generation under the grant's token; refused for a stale token. */
  writeState(state: PlanState, grant: LeaseGrant): Promise<string>;
  /** Moves an unreadable generation out of the way (kept for a person to look at); returns where. */
  setAsideState(generation: string): Promise<string>;

  /** Queues a command; returns its id. */
  enqueueCommand(command: PlanCommand, now: number): Promise<string>;
  /**
   * Takes every queued command, oldest first; unreadable ones are set aside and reported. With
   * `grant` (the controller's lease), refused with a `lease_lost` fault and nothing taken when
   * the lease is no longer that grant's: a controller that lost its lease leaves the commands to
   * the one that holds it.
   */
  takeCommands(grant?: LeaseGrant): Promise<{ commands: QueuedCommand[]; problems: Fault[] }>;
  /** Records what became of a queued command. */
  acknowledgeCommand(id: string, outcome: CommandOutcome): Promise<void>;
  /** What became of a queued command, once the controller took it. */
  commandOutcome(id: string): Promise<CommandOutcome | undefined>;
}

/**
 * A plan store that also keeps the runtime layer and the kill switch (a fleet's `RuntimeStore`):
 * the controller then reads them from it and writes each stage through it, fenced by its lease
 * in the same write. Without one, both live in the environment file (file mode).
 */
export interface RuntimeKeepingStore extends PlanStore, RuntimeLayerStore {
  updateRuntime(
    change: RuntimeChange,
    fence?: LeaseGrant,
  ): Promise<{ before: RuntimeState; after: RuntimeState }>;
}

/** Whether `store` keeps the runtime layer too. */
export function keepsRuntime(store: PlanStore): store is RuntimeKeepingStore {
  return typeof (store as Partial<RuntimeKeepingStore>).updateRuntime === 'function';
}
