import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { rollBack } from '../../src/rollout-layers/index.js';
import type { RuntimeStore } from '../../src/runtime-store/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import {
  type MemoryData,
  MemoryRuntimeStore,
  memoryData,
} from '../helpers/memory-runtime-store.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { controllerOptions, openController } from '../helpers/test-controller.js';
import { testRouter } from '../helpers/test-router.js';
import { runtimeStoreConformance } from './runtime-store-conformance.js';

const data = new WeakMap<RuntimeStore, MemoryData>();

function storeOn(shared: MemoryData): RuntimeStore {
  const store = new MemoryRuntimeStore(shared);
  data.set(store, shared);
  return store;
}

describe('an in-memory store: the conformance suite needs no file system', () => {
  runtimeStoreConformance({
    open: async () => storeOn(memoryData()),
    openSame: async (store) => storeOn(data.get(store)!),
  });
});

const ENV_FILE = 'environments/development.yaml';
const FILE = `rollout_percentage: 0
rollout_plan:
  stages:
    - { percentage: 5, hold: 1h }
    - { percentage: 50, hold: 1h }
`;

describe('the controller with a store that keeps the runtime layer (as a fleet does)', () => {
  it('writes each stage to the store, fenced, leaves the file alone, and stops on its kill switch', async () => {
    const temp = await tempConfigDir({ [ENV_FILE]: FILE });
    const shared = memoryData();
    const store = new MemoryRuntimeStore(shared);
    const options = controllerOptions(temp.dir, 'development', { store });
    const { clock } = options;
    const controller = await openController(options);
    await controller.command({ action: 'start', reason: 'launch' });
    expect(shared.runtime.runtime).toMatchObject({ percentage: 5, setBy: 'plan' });
    expect(await readFile(join(temp.dir, ENV_FILE), 'utf8')).toBe(FILE);
    clock.advance(3_600_001);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1 });
    expect(shared.runtime.runtime).toMatchObject({ percentage: 50 });

    // A person's rollback through the store (the CLI or another instance of the fleet).
    const config = await loadConfig({
      configDir: temp.dir,
      environment: 'development',
      env: {},
      stabilityMs: 0,
    });
    await rollBack(
      { config, store: new MemoryRuntimeStore(shared) },
      { reason: 'pager', at: new Date() },
    );
    await controller.look();
    expect(controller.state.phase).toBe('rolled_back');
    expect(controller.state.reason).toMatch(/kill switch was engaged \(pager\)/);
    expect(shared.runtime.runtime).toMatchObject({ percentage: 50 });
    expect(await readFile(join(temp.dir, ENV_FILE), 'utf8')).toBe(FILE);
  });
});

describe('routers on a store that keeps the runtime layer (a fleet, each with its own file)', () => {
  it('a rollback on one reaches the other through the store, the files untouched; so does a raise', async () => {
    const shared = memoryData();
    const routers = [];
    for (const _ of [1, 2]) {
      const temp = await tempConfigDir({ [ENV_FILE]: 'rollout_percentage: 10\n' });
      const router = await testRouter({
        configDir: temp.dir,
        environment: 'development',
        env: {},
        cwd: temp.dir,
        logger: silentLogger(),
        watch: false,
        runtimeStore: new MemoryRuntimeStore(shared),
      });
      routers.push({ router, dir: temp.dir });
    }
    const [one, two] = routers as [(typeof routers)[0], (typeof routers)[0]];
    await one.router.updateRolloutPercentage(0, { persist: true, reason: 'error spike' });
    expect(one.router.status().rollback).toMatchObject({ reason: 'error spike', persisted: true });
    await until(() => two.router.settings.rollout_percentage === 0);
    expect(two.router.status().rolloutOrigin).toBe('kill switch (the memory store)');
    await one.router.updateRolloutPercentage(20, { persist: true, reason: 'fixed' });
    await until(() => two.router.settings.rollout_percentage === 20);
    expect(two.router.status().rolloutLayers.runtime).toMatchObject({
      percentage: 20,
      setBy: 'operator',
      where: 'the memory store',
    });
    for (const { dir } of routers) {
      expect(await readFile(join(dir, ENV_FILE), 'utf8')).toBe('rollout_percentage: 10\n');
    }
  });
});

/** Waits until `condition` holds (the store's subscription delivers asynchronously). */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the store to deliver');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
