import { appendFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePlanStore, type PlanState } from '../../src/rollout-plan/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { controllerProcess as controller } from '../helpers/controller-process.js';
import { runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

const PLAN = (hold: string) => `rollout_percentage: 0
enable_ab_testing: true
rollout_plan:
  stages:
    - { percentage: 20, hold: ${hold}, min_units: 5, max_hold: 10m }
    - { percentage: 50, hold: ${hold}, min_units: 5, max_hold: 10m }
    - { percentage: 100, hold: ${hold} }
  guardrails: { metrics: [success_rate, quality_score] }
`;

async function setUp(hold: string) {
  const temp = await tempConfigDir({ 'environments/development.yaml': PLAN(hold) });
  const events = join(temp.dir, 'events');
  await mkdir(events);
  const store = new FilePlanStore(join(temp.dir, 'state'), 'development');
  const cli = (...args: string[]) => runCli([...args, '--config-dir', temp.dir]);
  const state = async (): Promise<PlanState> => (await store.readState()).state;
  return { temp, events, store, cli, state };
}

/** The readiness of a controller started with `--port 0`, once it says where it listens. */
async function readinessOf(process: ReturnType<typeof controller>) {
  const url = await waitFor(
    'the controller endpoint',
    () => /\/metrics at (http:\/\/\S+?)"/.exec(process.output())?.[1],
  );
  return {
    url,
    readyz: async () =>
      (await fetch(`${url}/readyz`).then((response) => response.json())) as {
        status: string;
        controller: { role: string; faults: { reason: string }[] };
      },
  };
}

/** Outcome events as the event log writes them: n per arm, LightRAG a little better. */
async function writeOutcomes(events: string, n: number, seed: number): Promise<void> {
  const lines: string[] = [];
  for (let index = 0; index < n; index += 1) {
    const time = new Date().toISOString();
    const wobble = ((index * 7 + seed) % 10) / 100;
    for (const [cohort, quality] of [
      ['lightrag', 0.84 + wobble],
      ['perplexity', 0.78 + wobble],
    ] as const) {
      // Each outcome from its own user: the controller judges per user.
      const userId = `user-${seed}-${index}-${cohort}`;
      lines.push(
        JSON.stringify({
          time,
          userId,
          cohort,
          backend: cohort,
          success: true,
          quality,
          latencyMs: 900,
        }),
      );
    }
  }
  await appendFile(join(events, 'outcomes-2026-01-01.jsonl'), `${lines.join('\n')}\n`);
}

const transitions = (logs: Record<string, unknown>[]) =>
  logs
    .filter((line) => line.rolloutPlan !== undefined)
    .map((line) => (line.rolloutPlan as { event: string }).event);

describe('the rollout controller as real processes', () => {
  it('flagroute serve --events-dir and flagroute controller complete a plan of 2 s stages on synthetic outcomes; SIGTERM ends both with 0 and releases the lease', async () => {
    const { temp, events, store, cli, state } = await setUp('2s');
    const server = startCli(
      ['serve', '--config-dir', temp.dir, '--port', '0', '--events-dir', events],
      { env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN } },
    );
    const url = await waitFor(
      'the server to listen',
      () => /listening on (\S+)/.exec(server.output())?.[1],
    );
    expect((await cli('rollout', 'plan', 'start', '--reason', 'e2e')).code).toBe(0);
    const driver = controller(temp.dir, events);
    let user = 0;
    let last: PlanState | undefined;
    onTestEnd(async () => {
      if (last?.phase !== 'completed')
        console.log(JSON.stringify(last?.history), JSON.stringify(last?.lastLook), driver.output());
    });
    // Synthetic users through the real API until the plan completes: decisions, then outcomes.
    const final = await waitFor(
      'the plan to complete',
      async () => {
        const users = Array.from({ length: 20 }, (_, index) => `user-${user + index}`);
        user += users.length;
        await Promise.all(
          users.map(async (userId, index) => {
            const decided = await post(`${url}/v1/decide`, { userId });
            const { decisionId, backend } = decided.body as { decisionId: string; backend: string };
            const quality = (backend === 'lightrag' ? 0.84 : 0.78) + (index % 10) / 100;
            // The outcome names its user: the controller judges per user.
            await postOutcomes(`${url}/v1/outcomes`, {
              decisionId,
              userId,
              success: true,
              quality,
              latencyMs: 800,
            });
          }),
        );
        const now = await state();
        last = now;
        expect(now.phase).not.toBe('rolled_back');
        return now.phase === 'completed' ? now : undefined;
      },
      60_000,
    );
    // A stage may hold for a look while its outcomes come in; nothing else happens.
    const moves = final.history.filter((item) => item.event !== 'hold');
    expect(moves.map((item) => [item.event, item.percentage])).toEqual([
      ['start', 20],
      ['advance', 50],
      ['advance', 100],
      ['complete', 100],
    ]);
    // The server followed every edit of the file by hot reload.
    await waitFor('the server to serve 100 %', async () => {
      const status = (await fetch(`${url}/v1/status`).then((response) => response.json())) as {
        rolloutPercentage: number;
      };
      return status.rolloutPercentage === 100;
    });
    await waitFor('the controller to log the completion', () =>
      transitions(driver.logs()).includes('complete'),
    );
    expect(transitions(driver.logs()).filter((event) => event !== 'hold')).toEqual([
      'advance',
      'advance',
      'complete',
    ]);
    expect(await driver.stop('SIGTERM')).toBe(0);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect((await store.readLease(Date.now())).state).toBe('free');
    const status = await cli('rollout', 'plan', 'status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      controller: null,
      state: { phase: 'completed' },
    });
  }, 90_000);

  it('keeps running through a corrupted state file, a corrupted lease, a deleted state/ and a broken configuration; says so, counts it, recovers', async () => {
    const { temp, events, store, cli, state } = await setUp('1h');
    expect((await cli('rollout', 'plan', 'start', '--reason', 'faults')).code).toBe(0);
    const driver = controller(temp.dir, events, '--port', '0');
    const endpoint = await readinessOf(driver);
    const fault = (reason: string) => (line: Record<string, unknown>) =>
      line.reason === reason && line.level === 50;
    await waitFor('the first look', () =>
      driver.logs().some((line) => /running \(active\)/.test(String(line.msg))),
    );
    const lookAfter = async (what: string) => {
      const before = (await readdir(join(temp.dir, 'state', 'development.plan'))).sort().at(-1);
      await waitFor(`a look after ${what}`, async () => {
        const names = await readdir(join(temp.dir, 'state', 'development.plan')).catch(() => []);
        return names.sort().at(-1) !== before && (await store.readState()).problems.length === 0;
      });
    };

    // 1. The newest state generation is overwritten with garbage. The controller writes a new
    // one at every look: should one land between the listing and the garbage, the garbage is an
    // old generation that nobody reads, and it is tried again on the newest.
    const planDir = join(temp.dir, 'state', 'development.plan');
    await waitFor('the first look written', async () => (await state()).lastLook);
    const unreadable = await waitFor('the controller to say the state is unreadable', async () => {
      const newest = (await readdir(planDir))
        .filter((name) => name.endsWith('.json'))
        .sort()
        .at(-1)!;
      await writeFile(join(planDir, newest), '{"version": 1, "phase": ');
      return waitFor(
        `a word on ${newest}`,
        () =>
          driver
            .logs()
            .find(
              (line) =>
                fault('state_unreadable')(line) && String(line.msg).includes(join(planDir, newest)),
            ),
        2_500,
      ).catch(() => undefined);
    });
    expect(unreadable.msg).toMatch(
      /is not valid JSON .*set aside as .*\.unreadable; the controller writes the state again from memory/,
    );
    await lookAfter('the corrupted state');
    expect(await state()).toMatchObject({ phase: 'running', stage: 0 });

    // 2. The lease file is overwritten with garbage.
    const leaseDir = join(temp.dir, 'state', 'development.lease');
    const generation = (await readdir(leaseDir))
      .filter((name) => /^\d+\.json$/.test(name))
      .sort()
      .at(-1)!;
    await writeFile(join(leaseDir, generation), 'not json at all');
    const lease = await waitFor('the controller to say the lease is unreadable', () =>
      driver.logs().find(fault('lease_unreadable')),
    );
    expect(lease.msg).toContain(join(leaseDir, generation));
    await waitFor(
      'the lease to be whole again',
      async () => (await store.readLease(Date.now())).state === 'live',
    );

    // 3. state/ is deleted under it.
    // The controller may write into it meanwhile: rm retries a directory that filled again.
    await rm(join(temp.dir, 'state'), { recursive: true, force: true, maxRetries: 20 });
    // The lease always says so; the state does too, unless a look's own write put it back first.
    await waitFor('the controller to say the lease vanished', () =>
      driver.logs().find(fault('lease_missing')),
    );
    await waitFor('the state to be back, from memory', async () => {
      const reading = await store.readState();
      return reading.generation !== null && reading.state.history.length === 1;
    });
    expect(await state()).toMatchObject({
      phase: 'running',
      stage: 0,
      reason: expect.stringContaining('faults'),
    });
    // The look that rewrote the state goes on to load the configuration: broken now, it would
    // name both faults. A look's faults replace the last look's when it begins, so ready means
    // that look is over.
    await waitFor('/readyz to say ready after the rewrite', async () => {
      return (await endpoint.readyz()).status === 'ready';
    });

    // 4. The configuration is broken, then fixed.
    await temp.write('environments/development.yaml', 'rollout_percentage: [\n');
    const broken = await waitFor('the controller to say the configuration is invalid', () =>
      driver.logs().find(fault('config_invalid')),
    );
    expect(broken.msg).toMatch(/development\.yaml:\d+:\d+/);
    const degraded = await waitFor('/readyz to say degraded', async () => {
      const body = await endpoint.readyz();
      return body.status === 'degraded' ? body : undefined;
    });
    expect(degraded.controller).toMatchObject({
      role: 'active',
      faults: [{ reason: 'config_invalid' }],
    });
    expect(JSON.stringify(degraded)).not.toContain(temp.dir);
    const metrics = await fetch(`${endpoint.url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(
      /flagroute_rollout_controller_errors_total\{reason="config_invalid"\} [1-9]/,
    );
    await temp.write(
      'environments/development.yaml',
      PLAN('1h').replace('rollout_percentage: 0', 'rollout_percentage: 20'),
    );
    await waitFor('the controller to recover', () =>
      driver.logs().find((line) => /recovered \(degraded since/.test(String(line.msg))),
    );
    await waitFor('/readyz to say ready', async () => (await endpoint.readyz()).status === 'ready');

    // Still the same process, and the status says what happened.
    expect(driver.child.exitCode).toBeNull();
    const status = JSON.parse((await cli('rollout', 'plan', 'status', '--json')).stdout);
    expect(status.state).toMatchObject({ phase: 'running', stage: 0 });
    expect(status.lease.health.errors).toMatchObject({
      state_unreadable: expect.any(Number),
      lease_unreadable: expect.any(Number),
      lease_missing: expect.any(Number),
      config_invalid: expect.any(Number),
    });
    const text = (await cli('rollout', 'plan', 'status')).stdout;
    expect(text).toMatch(/controller errors since it started: .*state_unreadable/);
    expect(await driver.stop('SIGINT')).toBe(0);
    expect((await store.readLease(Date.now())).state).toBe('free');
  }, 90_000);

  it('two controllers on one directory: exactly one acts; after a SIGKILL the other takes over and finishes the plan', async () => {
    const { temp, events, store, cli, state } = await setUp('2s');
    expect((await cli('rollout', 'plan', 'start', '--reason', 'two')).code).toBe(0);
    const first = controller(temp.dir, events);
    await waitFor('the first to drive', () =>
      first.logs().some((line) => /running \(active\)/.test(String(line.msg))),
    );
    const second = controller(temp.dir, events, '--port', '0');
    const secondEndpoint = await readinessOf(second);
    await waitFor('the second to stand by', () =>
      second
        .logs()
        .some((line) => /stands by: another controller drives development/.test(String(line.msg))),
    );
    const holder = (await store.readLease(Date.now())) as { holder: string };
    expect(holder.holder).toMatch(new RegExp(`:${first.child.pid}:`));
    // The plan moves a stage, by the first only (its first look took the stage's baseline).
    await waitFor('the first look', async () => (await state()).lastLook);
    await writeOutcomes(events, 10, 1);
    await waitFor('stage 2', async () => (await state()).stage === 1);
    await waitFor('the first to log the advance', () =>
      transitions(first.logs()).includes('advance'),
    );
    expect(transitions(second.logs())).toEqual([]);
    expect(await secondEndpoint.readyz()).toMatchObject({
      status: 'standby',
      controller: { role: 'standby' },
    });

    first.child.kill('SIGKILL');
    const takeover = await waitFor(
      'the second to take over',
      () =>
        second
          .logs()
          .find((line) => /took over the lease of development from/.test(String(line.msg))),
      20_000,
    );
    expect(takeover.msg).toMatch(
      new RegExp(
        `from \\S+:${first.child.pid}:\\w+ \\(lease generation \\d+\\): no heartbeat since`,
      ),
    );
    expect(await secondEndpoint.readyz()).toMatchObject({ controller: { role: 'active' } });
    await writeOutcomes(events, 10, 2);
    await waitFor(
      'the plan to complete, driven by the second',
      async () => (await state()).phase === 'completed',
      30_000,
    );
    await waitFor('the second to log the completion', () =>
      transitions(second.logs()).includes('complete'),
    );
    expect(transitions(second.logs())).toEqual(expect.arrayContaining(['advance', 'complete']));
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
