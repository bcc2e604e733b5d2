import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { FileRuntimeLayer, rollBack } from '../../src/rollout-layers/index.js';
import {
  type ControllerOptions,
  commandPlan,
  FilePlanStore,
  RolloutController,
  type TransitionNotice,
} from '../../src/rollout-plan/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { nextEvent } from '../helpers/events.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { controllerOptions, openController, servedPercentage } from '../helpers/test-controller.js';
import { testRouter } from '../helpers/test-router.js';

const ENV_FILE = 'environments/development.yaml';
const HOUR = 3_600_000;

const PLAN = (extra = '') => `rollout_percentage: 0
enable_ab_testing: true
rollback_triggers:
  error_rate: 0.05
  min_quality: 0.6
  min_samples: 20
rollout_plan:
  stages:
    - { percentage: 10, hold: 1h, min_units: 100 }
    - { percentage: 30, hold: 2h, min_units: 100 }
    - { percentage: 60, hold: 1h, min_units: 100, approval: true }
    - { percentage: 100, hold: 1h }
  guardrails: { metrics: [success_rate, quality_score] }
${extra}`;

async function setUp(extra = '', overrides: Partial<ControllerOptions> = {}) {
  const temp = await tempConfigDir({ [ENV_FILE]: PLAN(extra) });
  const options = controllerOptions(temp.dir, 'development', { leaseTtlMs: 30_000, ...overrides });
  const { clock, source } = options;
  const controller = await openController(options);
  const notices: TransitionNotice[] = [];
  controller.onTransition((notice) => notices.push(notice));
  const served = () => servedPercentage(temp.dir, 'development');
  return { temp, clock, source, options, controller, notices, served };
}

describe('the rollout controller', () => {
  it('walks every phase: running, holding, advance, awaiting approval, promote, completed', async () => {
    const { clock, source, controller, notices, served } = await setUp();
    source.add(500); // before the plan: not the stage's data
    clock.advance(60_000);
    await controller.command({ action: 'start', reason: 'launch' });
    expect(controller.state).toMatchObject({ phase: 'running', stage: 0 });
    expect(await served()).toBe(10);
    clock.advance(30 * 60_000);
    await controller.look();
    expect(controller.state.phase).toBe('running'); // the hold has not passed
    clock.advance(31 * 60_000);
    await controller.look();
    // Data from before the stage does not count: the stage has none yet.
    expect(controller.state).toMatchObject({ phase: 'holding' });
    expect(controller.state.reason).toMatch(/needs 100 units per arm .* it has 0 and 0/);
    source.add(150);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1 });
    expect(await served()).toBe(30);
    clock.advance(2 * HOUR);
    source.add(150);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'awaiting_approval', stage: 1 });
    expect(await served()).toBe(30);
    await controller.look();
    expect(controller.state.phase).toBe('awaiting_approval'); // never skipped
    await controller.command({ action: 'promote', reason: 'numbers look good' });
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 2 });
    expect(await served()).toBe(60);
    clock.advance(HOUR);
    source.add(150);
    await controller.look();
    expect(controller.state).toMatchObject({ stage: 3 });
    expect(await served()).toBe(100);
    clock.advance(HOUR);
    await controller.look();
    expect(controller.state.phase).toBe('completed');
    expect(notices.map((notice) => notice.event)).toEqual([
      'start',
      'hold',
      'advance',
      'approval',
      'promote',
      'advance',
      'advance',
      'complete',
    ]);
    expect(controller.state.history).toHaveLength(notices.length);
  });

  it('a stage that waits too long pauses with a reason; resume restarts its hold', async () => {
    const { clock, controller } = await setUp();
    await controller.command({ action: 'start', reason: 'launch' });
    clock.advance(HOUR);
    await controller.look();
    expect(controller.state.phase).toBe('holding');
    clock.advance(2 * HOUR + 1);
    await controller.look();
    expect(controller.state.phase).toBe('paused');
    expect(controller.state.reason).toMatch(/waited 3h .*more than 3h.* for 100 units per arm/);
    await controller.command({ action: 'resume', reason: 'traffic is back' });
    expect(controller.state).toMatchObject({ phase: 'running', stage: 0 });
    expect(controller.state.stageStartedAt).toBe(clock.now());
  });

  it("a failed guardrail rolls back at once through the kill switch; a person's kill switch stops the plan", async () => {
    const first = await setUp();
    await first.controller.command({ action: 'start', reason: 'launch' });
    first.source.set('treatment', { errors: 0.2 });
    first.source.add(50);
    await first.controller.look();
    expect(first.controller.state.phase).toBe('rolled_back');
    expect(first.controller.state.reason).toMatch(
      /guardrail error_rate failed: 0.2000 against 0.05/,
    );
    expect(await first.served()).toBe(0);
    const text = await readFile(join(first.temp.dir, ENV_FILE), 'utf8');
    expect(text).toMatch(
      /rollback:[\s\S]*reason: rollout plan guardrail error_rate failed at stage 1/,
    );

    const second = await setUp();
    await second.controller.command({ action: 'start', reason: 'launch' });
    second.source.set('treatment', { quality: 0.7 });
    second.source.add(60);
    await second.controller.look();
    expect(second.controller.state.reason).toMatch(/guardrail regression:quality_score failed/);

    const third = await setUp();
    await third.controller.command({ action: 'start', reason: 'launch' });
    const config = await loadConfig({
      configDir: third.temp.dir,
      environment: 'development',
      env: {},
      stabilityMs: 0,
    });
    await rollBack(
      { config, store: new FileRuntimeLayer(config) },
      { reason: 'pager went off', at: new Date() },
    );
    await third.controller.look();
    expect(third.controller.state).toMatchObject({ phase: 'rolled_back' });
    expect(third.controller.state.reason).toBe(
      'the kill switch was engaged (pager went off); the plan stops',
    );
  });

  it('survives a restart from its state file; one controller per environment, a stale lease is taken over', async () => {
    const { clock, source, options, controller, served } = await setUp();
    await controller.command({ action: 'start', reason: 'launch' });
    source.add(10);
    clock.advance(20 * 60_000);
    await controller.look();
    await expect(
      RolloutController.open({ ...options, holder: 'second-controller' }),
    ).rejects.toThrow(/another controller drives development: .*last heartbeat/);
    // The first dies without releasing its lease; after the lease's time to live it is taken over.
    clock.advance(31_000);
    const second = await RolloutController.open({ ...options, holder: 'second-controller' });
    onTestEnd(() => second.close());
    expect(second.state).toMatchObject({ phase: 'running', stage: 0 });
    await expect(controller.look()).rejects.toThrow(
      /another controller drives development: second-controller/,
    );
    source.add(200);
    clock.advance(HOUR);
    await second.look();
    expect(second.state).toMatchObject({ phase: 'running', stage: 1 });
    expect(await served()).toBe(30);
  });

  it('a command while a controller runs is queued and applied at its next look', async () => {
    const { options, controller } = await setUp();
    await controller.command({ action: 'start', reason: 'launch' });
    const queued = await commandPlan(
      { ...options, holder: 'cli' },
      { action: 'pause', reason: 'holiday freeze' },
    );
    expect(queued).toEqual({
      applied: false,
      holder: expect.stringContaining(':'),
      id: expect.any(String),
    });
    expect(controller.state.phase).toBe('running');
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'paused', reason: 'holiday freeze' });
    await expect(controller.command({ action: 'pause', reason: 'again' })).rejects.toThrow(
      /cannot pause the plan of development: it is paused/,
    );
    await expect(controller.command({ action: 'start', reason: 'x' })).rejects.toThrow(
      /abort it first/,
    );
    await expect(controller.command({ action: 'abort', reason: ' ' })).rejects.toThrow(
      /needs a reason/,
    );
    await controller.command({ action: 'abort', reason: 'cancelled' });
    expect(controller.state.phase).toBe('rolled_back');
    const store = new FilePlanStore(join(options.configDir, 'state'), 'development');
    expect((await store.readState()).state.phase).toBe('rolled_back');
  });

  it('a change of the rollout by hand pauses the plan, saying so', async () => {
    const { temp, controller } = await setUp();
    await controller.command({ action: 'start', reason: 'launch' });
    const text = await readFile(join(temp.dir, ENV_FILE), 'utf8');
    await temp.write(ENV_FILE, text.replace(/rollout_percentage: 10\b/, 'rollout_percentage: 25'));
    await controller.look();
    expect(controller.state.phase).toBe('paused');
    expect(controller.state.reason).toMatch(/the rollout is 25 % but stage 1 is 10 %/);
  });

  it('the file edit reaches another router through hot reload', async () => {
    const { temp, clock, source, controller } = await setUp();
    const router = await testRouter({
      configDir: temp.dir,
      environment: 'development',
      env: {},
      logger: silentLogger(),
      watch: { debounceMs: 10 },
    });
    const reloaded = nextEvent(router, 'reload');
    await controller.command({ action: 'start', reason: 'launch' });
    await reloaded;
    expect(router.settings.rollout_percentage).toBe(10);
    source.add(200);
    clock.advance(HOUR);
    const again = nextEvent(router, 'reload');
    await controller.look();
    await again;
    expect(router.settings.rollout_percentage).toBe(30);
  });

  it('posts every transition to the webhooks; a failing one is retried, bounded, and never blocks the plan', async () => {
    const received: unknown[] = [];
    let failures = 0;
    const server = createServer(async (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      if (request.url === '/broken') {
        failures += 1;
        response.writeHead(500).end();
        return;
      }
      received.push(JSON.parse(Buffer.concat(chunks).toString()));
      response.writeHead(204).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestEnd(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as { port: number };
    const { controller: fast } = await setUp(
      `  webhooks: ['http://127.0.0.1:${port}/hook', 'http://127.0.0.1:${port}/broken']\n`,
      { webhook: { backoffMs: 1, attempts: 3 } },
    );
    await fast.command({ action: 'start', reason: 'launch' });
    expect(fast.state.phase).toBe('running');
    await fast.flush();
    expect(received).toEqual([
      expect.objectContaining({
        environment: 'development',
        event: 'start',
        from: 'pending',
        to: 'running',
        stage: 0,
        percentage: 10,
      }),
    ]);
    expect(failures).toBe(3);
  });
});
