import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileRuntimeStore, type RuntimeStore } from '../../src/runtime-store/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runtimeStoreConformance } from './runtime-store-conformance.js';

const ENV_FILE = 'environments/development.yaml';
const FILE = '# owned by the search team\nrollout_percentage: 10 # week 1\n';

/** Where each store opened by the suite keeps its data. */
const dirs = new WeakMap<RuntimeStore, string>();

function storeIn(dir: string): RuntimeStore {
  const store = new FileRuntimeStore({ configDir: dir, environment: 'development', cwd: dir });
  dirs.set(store, dir);
  return store;
}

describe('FileRuntimeStore: the runtime store conformance suite', () => {
  runtimeStoreConformance({
    open: async () => storeIn((await tempConfigDir({ [ENV_FILE]: FILE })).dir),
    openSame: async (store) => storeIn(dirs.get(store)!),
  });
});

describe('FileRuntimeStore keeps the runtime state in the environment file', () => {
  it('as the runtime: and rollback: blocks, comments and the file layer kept', async () => {
    const { dir } = await tempConfigDir({ [ENV_FILE]: FILE });
    const store = storeIn(dir);
    await store.updateRuntime({
      runtime: { percentage: 15, setBy: 'plan', reason: 'stage 2', at: '2026-01-01T00:00:00.000Z' },
      killSwitch: {
        trigger: 'error_rate',
        reason: 'errors',
        at: '2026-01-01T00:00:01.000Z',
        previousPercentage: 15,
      },
    });
    expect(await readFile(join(dir, ENV_FILE), 'utf8')).toBe(
      `${FILE}runtime:\n  rollout_percentage: 15\n  set_by: plan\n  reason: stage 2\n  at: 2026-01-01T00:00:00.000Z\nrollback:\n  at: 2026-01-01T00:00:01.000Z\n  reason: errors\n  trigger: error_rate\n  previous_percentage: 15\n`,
    );
    expect(store.runtimeLocation).toBe(ENV_FILE);
    await store.close();
  });
});
