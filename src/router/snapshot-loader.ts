import { tryLoadConfig } from '../config/load-config.js';
import { buildSnapshot, type SnapshotResult } from '../decision/snapshot.js';

/** Cache sizes of a snapshot. */
export interface SnapshotSizes {
  /** Entries kept per rule in the outcome memo (0 turns memoising off). */
  ruleMemoSize?: number;
}

/** Just the cache sizes of `options`, leaving out those not given (exact optional types). */
export function snapshotSizes(options: SnapshotSizes): SnapshotSizes {
  return options.ruleMemoSize !== undefined ? { ruleMemoSize: options.ruleMemoSize } : {};
}

/** Loads and compiles one environment into a snapshot, or returns every problem. */
export async function loadSnapshot(
  options: {
    configDir: string;
    environment: string;
    env: Readonly<Record<string, string | undefined>>;
    cwd: string;
    stabilityMs: number;
  } & SnapshotSizes,
): Promise<SnapshotResult> {
  const loaded = await tryLoadConfig(options);
  if (!loaded.ok) return loaded;
  try {
    return await buildSnapshot(loaded.config, options);
  } catch (error) {
    // Never let an unforeseen failure escape a reload: it is a problem like any other.
    return {
      ok: false,
      issues: [
        {
          code: 'LOAD_FAILED',
          file: null,
          line: null,
          column: null,
          pointer: '',
          message: `could not compile the rules: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
}
