import type { RuntimeChange, RuntimeState } from '../rollout-layers/index.js';
import type { LeaseGrant, RuntimeKeepingStore } from '../rollout-plan/index.js';

/** What changed in a runtime store, as a subscription reports it. */
export type StoreChange =
  /** The runtime layer or the kill switch: the state now. */
  | { kind: 'runtime'; state: RuntimeState }
  /** A new plan state was written (read it with `readState`). */
  | { kind: 'plan' }
  /** A plan command was queued (take it with `takeCommands`). */
  | { kind: 'commands' };

/**
 * Everything that changes at run time, for one environment, in one place that every instance
 * shares: the runtime layer and the kill switch ({@link RuntimeLayerStore}), the plan's state,
 * the controller's lease and the queued plan commands ({@link PlanStore}), and a subscription
 * to changes. File mode keeps it in the environment file and `state/` (`FileRuntimeStore`); a
 * fleet keeps it in PostgreSQL. Every implementation passes the same conformance suite
 * (`test/runtime-store/runtime-store-conformance.ts`). Every method is async.
 */
export interface RuntimeStore extends RuntimeKeepingStore {
  /**
   * Changes the runtime layer and the kill switch in one write. With `fence` (a controller's
   * lease), refused with a `lease_lost` fault when the lease is no longer that grant's, and
   * nothing is written; a person's change carries no fence (a rollback never waits for a
   * controller).
   */
  updateRuntime(
    change: RuntimeChange,
    fence?: LeaseGrant,
  ): Promise<{ before: RuntimeState; after: RuntimeState }>;
  /**
   * Calls `listener` on every change by any writer (another process too): the runtime state
   * as it is when the subscription starts and after each change, and a notice for each plan
   * state written and each command queued. Changes in quick succession may arrive as one (the
   * latest state); a subscriber reads what it needs. Returns the function that stops it.
   */
  subscribe(listener: (change: StoreChange) => void): () => void;
  /** Stops every subscription and releases connections; the store is not used after. */
  close(): Promise<void>;
}

/**
 * How a shared store that a process follows is doing, for `/readyz` and `/metrics`: a fleet's
 * store can be away for a while, during which the process serves the runtime state it read last.
 */
export interface StoreHealth {
  /** `degraded` while the store cannot be read; the process keeps serving. */
  status: 'ok' | 'degraded';
  /** Where it is, without secrets (`PostgreSQL database "flagroute" on db:5432 as "app"`). */
  store: string;
  /** Since when it has been unreachable (ISO 8601), or null. */
  since: string | null;
  /** When the runtime state being served was last read from it (ISO 8601), or null. */
  stateReadAt: string | null;
  /** Why, as an error code (`STORE_UNAVAILABLE`, ...), or null. */
  reason: string | null;
  /** Failed reads of the store since start (retries included). */
  failures: number;
}

/** A store that reports its health (the PostgreSQL store does; files need none). */
export interface StoreWithHealth {
  health(): StoreHealth;
}
