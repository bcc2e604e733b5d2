import type { RuntimeChange } from './environment-file.js';
import type { RuntimeState } from './layers.js';

/**
 * Where the runtime layer and the kill switch live between processes: the environment file in
 * file mode ({@link FileRuntimeLayer}), PostgreSQL rows in a fleet. Every method is async, and
 * a change is one atomic write that every reader sees whole.
 */
export interface RuntimeLayerStore {
  readonly environment: string;
  /** Where it lives, for messages: a file as shown to the user, a database without secrets. */
  readonly runtimeLocation: string;
  /** The runtime state now. */
  readRuntime(): Promise<RuntimeState>;
  /**
   * Changes the runtime layer and the kill switch in one write (see {@link RuntimeChange});
   * returns the state before and after. An engaged kill switch is kept as first written.
   */
  updateRuntime(change: RuntimeChange): Promise<{ before: RuntimeState; after: RuntimeState }>;
  /**
   * Calls `listener` with the state as it is when the subscription starts, then with the new
   * state after every change by any writer (another process too); changes in quick succession
   * may arrive as one, the latest. Returns the function that stops it.
   */
  subscribeRuntime(listener: (state: RuntimeState) => void): () => void;
}
