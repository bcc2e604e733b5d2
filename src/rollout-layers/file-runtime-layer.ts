import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import { displayPath } from '../config/yaml-file.js';
import {
  environmentFileOf,
  type RuntimeChange,
  readRuntimeState,
  writeRuntimeState,
} from './environment-file.js';
import type { RuntimeState } from './layers.js';
import type { RuntimeLayerStore } from './runtime-layer-store.js';

/** How often a subscription re-reads the file when no watch event came (a safety net). */
const POLL_MS = 1000;

/**
 * File mode's runtime layer store: the `runtime:` and `rollback:` blocks of the environment
 * file, written atomically with comments kept, so that every router watching the file (hot
 * reload) follows. Routers read these blocks with the rest of the file; `subscribeRuntime` is for
 * everyone else (a controller, a fleet's tooling).
 */
export class FileRuntimeLayer implements RuntimeLayerStore {
  readonly environment: string;
  readonly runtimeLocation: string;
  /** The environment file. */
  readonly path: string;

  constructor(options: { configDir: string; environment: string; cwd?: string }) {
    this.environment = options.environment;
    this.path = environmentFileOf(options);
    this.runtimeLocation = displayPath(this.path, options.cwd ?? process.cwd());
  }

  readRuntime(): Promise<RuntimeState> {
    return readRuntimeState(this.path, this.runtimeLocation);
  }

  updateRuntime(change: RuntimeChange): Promise<{ before: RuntimeState; after: RuntimeState }> {
    return writeRuntimeState(this.path, change, this.runtimeLocation);
  }

  subscribeRuntime(listener: (state: RuntimeState) => void): () => void {
    let last: string | undefined;
    let stopped = false;
    let reading = false;
    const check = async () => {
      if (stopped || reading) return;
      reading = true;
      try {
        const state = await this.readRuntime();
        const text = JSON.stringify(state);
        if (!stopped && text !== last) {
          last = text;
          listener(state);
        }
      } catch {
        // Half-replaced or invalid just now: the next event or poll reads it again.
      } finally {
        reading = false;
      }
    };
    void check();
    // The directory, not the file: an atomic save replaces the file's inode.
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(this.path), () => void check());
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined; // the poll alone then
    }
    const poll = setInterval(() => void check(), POLL_MS);
    poll.unref();
    return () => {
      stopped = true;
      clearInterval(poll);
      watcher?.close();
    };
  }
}
