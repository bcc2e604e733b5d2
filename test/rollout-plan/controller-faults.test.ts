import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { StoreError } from '../../src/errors.js';
import { FileRuntimeLayer, rollBack } from '../../src/rollout-layers/index.js';
import {
  type ControllerOptions,
  commandPlan,
  FilePlanStore,
  statePaths,
} from '../../src/rollout-plan/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { MemoryRuntimeStore, memoryData } from '../helpers/memory-runtime-store.js';
import { capturingLogger } from '../helpers/silent-logger.js';
import { controllerOptions, openController, servedPercentage } from '../helpers/test-controller.js';

const ENV_FILE = 'environments/development.yaml';
const HOUR = 3_600_000;
const PLAN = `rollout_percentage: 0
enable_ab_testing: true
rollout_plan:
  stages:
    - { percentage: 10, hold: 1h, min_units: 10 }
    - { percentage: 100, hold: 1h }
`;

async function setUp(overrides: Partial<ControllerOptions> = {}) {
  const temp = await tempConfigDir({ [ENV_FILE]: PLAN });
  const { logger, lines } = capturingLogger();
  const options = controllerOptions(temp.dir, 'development', { logger, ...overrides });
  const { clock, source } = options;
  const open = () => openController(options);
  const errors = (reason: string) =>
    lines.filter((line) => line.level === 50 && line.reason === reason);
  const served = () => servedPercentage(temp.dir, 'development');
  return { temp, clock, source, options, lines, errors, open, served };
}

describe('the rollout controller through faults', () => {
  it('a lease whose heartbeat lies a year ahead is taken over with a warning: a command does not wait for it', async () => {
    const { temp, clock, options, lines } = await setUp();
    const store = new FilePlanStore(join(temp.dir, 'state'), 'development');
    await store.acquireLease('clock-ahead', clock.now() + 365 * 24 * HOUR, 30_000);
    const receipt = await commandPlan(options, { action: 'start', reason: 'not blocked' });
    expect(receipt).toMatchObject({ applied: true, state: { phase: 'running', stage: 0 } });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(
          /took over the lease of development from clock-ahead \(lease generation 2\): its heartbeat .* lies further ahead than the lease's time to live \(30000 ms\) plus the clock-skew bound \(5000 ms\)/,
        ),
      }),
    );
  });

  it('a metrics source that is down: the look is degraded and counted, a kill switch still stops the plan', async () => {
    const { temp, source, errors, open } = await setUp();
    const controller = await open();
    const faults: string[] = [];
    controller.onFault((fault) => faults.push(fault.reason));
    await controller.command({ action: 'start', reason: 'launch' });
    source.down = 'connect ECONNREFUSED 127.0.0.1:9090';
    await controller.look();
    expect(controller.health.snapshot()).toMatchObject({
      status: 'degraded',
      faults: [
        {
          reason: 'metrics_unavailable',
          message: expect.stringMatching(
            /metrics source hand .* ECONNREFUSED .* check that it is up/,
          ),
        },
      ],
      errors: { metrics_unavailable: 1 },
    });
    expect(errors('metrics_unavailable')).toHaveLength(1);
    expect(faults).toEqual(['metrics_unavailable']);
    const config = await loadConfig({
      configDir: temp.dir,
      environment: 'development',
      env: {},
      stabilityMs: 0,
    });
    await rollBack(
      { config, store: new FileRuntimeLayer(config) },
      { reason: 'pager', at: new Date() },
    );
    expect(await controller.look()).toMatchObject({ phase: 'rolled_back' });
    source.down = undefined;
    await controller.look();
    expect(controller.health.snapshot()).toMatchObject({
      status: 'ok',
      faults: [],
      errors: { metrics_unavailable: 2 },
    });
  });

  it('a read-only environment file: the plan does not move, says why, and moves once it can', async () => {
    const { temp, clock, source, errors, open, served } = await setUp();
    const controller = await open();
    await controller.command({ action: 'start', reason: 'launch' });
    await controller.look();
    source.add(20);
    clock.advance(HOUR);
    await chmod(join(temp.dir, ENV_FILE), 0o444);
    await expect(controller.look()).rejects.toMatchObject({ code: 'CONFIG_NOT_WRITABLE' });
    expect(controller.state).toMatchObject({ phase: 'running', stage: 0 });
    expect(errors('config_not_writable')[0]!.msg).toMatch(
      /development\.yaml is read-only \(mode 0444\); not edited.*the plan did not move and tries again/,
    );
    expect(await served()).toBe(10);
    await chmod(join(temp.dir, ENV_FILE), 0o644);
    expect(await controller.look()).toMatchObject({ phase: 'running', stage: 1 });
    expect(await served()).toBe(100);
  });

  it('a state that cannot be written is kept in memory and written when it can be', async () => {
    const { temp, errors, open } = await setUp();
    const controller = await open();
    await controller.command({ action: 'start', reason: 'launch' });
    const plan = statePaths(join(temp.dir, 'state'), 'development').state;
    await rm(plan, { recursive: true });
    await writeFile(plan, 'a file where the directory was');
    await controller.command({ action: 'pause', reason: 'freeze' });
    expect(controller.state).toMatchObject({ phase: 'paused', reason: 'freeze' });
    expect(errors('state_not_writable')).toHaveLength(1);
    await expect(controller.look()).resolves.toMatchObject({ phase: 'paused' });
    await rm(plan);
    await controller.look();
    const store = new FilePlanStore(join(temp.dir, 'state'), 'development');
    expect((await store.readState()).state).toMatchObject({ phase: 'paused', reason: 'freeze' });
    expect(controller.health.snapshot().status).toBe('ok');
  });

  it('a standby waits out a state directory it cannot create, says so once, and drives once it can', async () => {
    const { temp, errors, open } = await setUp({ standby: true });
    await writeFile(join(temp.dir, 'state'), 'a file where the state directory goes');
    const controller = await open();
    expect(controller.role).toBe('standby');
    expect(await controller.heartbeat()).toBe(false);
    expect(await controller.heartbeat()).toBe(false);
    expect(errors('state_not_writable')).toHaveLength(1);
    await rm(join(temp.dir, 'state'));
    await mkdir(join(temp.dir, 'state'));
    expect(await controller.heartbeat()).toBe(true);
    expect(controller.role).toBe('active');
  });

  it('a standby whose store is away says so once, and drops the fault once the store answers while another drives', async () => {
    const { errors, options, lines } = await setUp();
    const data = memoryData();
    await openController({ ...options, store: new MemoryRuntimeStore(data), holder: 'first' });
    const store = new AwayStore(data);
    const standby = await openController({ ...options, store, holder: 'second', standby: true });
    expect(standby.role).toBe('standby');
    store.away = true;
    for (let beat = 0; beat < 3; beat += 1) expect(await standby.heartbeat()).toBe(false);
    expect(standby.health.snapshot()).toMatchObject({
      status: 'standby',
      // A standby writes nothing: the store is away, not the plan state unwritable.
      faults: [{ reason: 'store_unavailable' }],
    });
    expect(errors('store_unavailable')).toHaveLength(1);
    expect(errors('state_not_writable')).toHaveLength(0);
    store.away = false;
    expect(await standby.heartbeat()).toBe(false); // the other still drives
    expect(standby.health.snapshot()).toMatchObject({ status: 'standby', faults: [], since: null });
    expect(lines.some((line) => String(line.msg).includes('recovered'))).toBe(true);
  });
});

/** A memory store whose lease cannot be read or taken while `away` (a database that is down). */
class AwayStore extends MemoryRuntimeStore {
  away = false;

  override async readLease(now: number) {
    this.refuseWhileAway();
    return super.readLease(now);
  }

  override async acquireLease(holder: string, now: number, ttlMs: number) {
    this.refuseWhileAway();
    return super.acquireLease(holder, now, ttlMs);
  }

  private refuseWhileAway(): void {
    if (this.away) throw new StoreError('STORE_UNAVAILABLE', 'the memory store is away');
  }
}
