import { expect, it } from 'vitest';
import type { DashboardView } from '../../src/dashboard/index.js';
import type { PlanState } from '../../src/rollout-plan/index.js';
import {
  cli,
  type FleetProcess,
  fetchStatus,
  type Instance,
  readOnlyConfig,
  serveInstance,
  sharedWritableDir,
  startFleetProcess,
  until,
  untilEvery,
} from '../helpers/fleet.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

/**
 * A plan of short stages (its holds are the controller's own clock: the wall clock here). The
 * second holds longest: the lease holder is killed during it, however late the test sees it.
 */
const PLAN = {
  'environments/staging.yaml': `rollout_percentage: 0
enable_ab_testing: true
rollout_plan:
  stages:
    - { percentage: 20, hold: 2s, min_units: 5, max_hold: 10m }
    - { percentage: 50, hold: 10s, min_units: 5, max_hold: 10m }
    - { percentage: 100, hold: 2s }
  guardrails: { metrics: [success_rate, quality_score] }
`,
};

interface PlanStatusJson {
  state: PlanState;
  controller: string | null;
  percentage: number;
}

async function planStatus(store: string): Promise<PlanStatusJson> {
  const run = await cli(['rollout', 'plan', 'status', '--json'], store, { files: PLAN });
  if (run.code !== 0) throw new Error(run.output);
  return JSON.parse(run.output) as PlanStatusJson;
}

/** `flagroute controller --store` on its own read-only configuration, a look every second. */
async function controllerProcess(store: string, events: string): Promise<FleetProcess> {
  const config = await readOnlyConfig(PLAN);
  const args = ['controller', '--config-dir', config, '--env', 'staging'];
  const flags = ['--metrics', `events=${events}`, '--interval', '1s', '--lease-ttl', '3s'];
  const started = startFleetProcess([...args, ...flags], { FLAGROUTE_STORE: store });
  await until(
    async () => (/rollout controller of staging running/.test(started.output()) ? true : undefined),
    () => `the controller to run; it said:\n${started.output()}`,
  );
  return started;
}

/** Synthetic users through the real API of every instance in turn: decisions, then outcomes. */
function traffic(instances: Instance[]) {
  let user = 0;
  return async () => {
    const users = Array.from({ length: 30 }, (_, index) => `user-${user + index}`);
    user += users.length;
    await Promise.all(
      users.map(async (userId, index) => {
        const { url } = instances[index % instances.length]!;
        const decided = await post(`${url}/v1/decide`, { userId });
        const { decisionId, backend } = decided.body as { decisionId: string; backend: string };
        const quality = (backend === 'lightrag' ? 0.84 : 0.78) + (index % 10) / 100;
        // The outcome names its user: the controller judges per user.
        await postOutcomes(`${url}/v1/outcomes`, { decisionId, userId, success: true, quality });
      }),
    );
  };
}

describePostgres('the rollout controller of a fleet on PostgreSQL', () => {
  const postgres = usePostgres();

  it('a controller moves three instances on read-only configs through a plan; after a SIGKILL of the lease holder the standby finishes it', async () => {
    const store = await postgres().createDatabase();
    const events = await sharedWritableDir();
    const instances = await Promise.all(
      [1, 2, 3].map(() =>
        serveInstance(store, {
          files: PLAN,
          args: ['--events-dir', events],
          env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN },
        }),
      ),
    );
    for (const instance of instances)
      expect((await fetchStatus(instance)).rolloutPercentage).toBe(0);

    // The plan starts through the store: nobody writes the read-only files.
    const start = await cli(['rollout', 'plan', 'start', '--reason', 'fleet e2e'], store, {
      files: PLAN,
    });
    expect(start.code, start.output).toBe(0);
    expect(start.output).toMatch(/rollout plan of staging: running/);
    await untilEvery(
      instances,
      (each) => each.rolloutPercentage === 20,
      'serve the first stage, 20 %',
    );

    const first = await controllerProcess(store, events);
    const second = await controllerProcess(store, events);
    const send = traffic(instances);
    let last: PlanStatusJson | undefined;
    // Until the plan reaches its second stage, under one of the two controllers.
    const midway = await until(
      async () => {
        await send();
        last = await planStatus(store);
        expect(last.state.phase).not.toBe('rolled_back');
        return last.state.stage >= 1 && last.controller !== null ? last : undefined;
      },
      () => `the plan to reach its second stage; it is ${JSON.stringify(last?.state)}`,
    );
    const holder = [first, second].find((each) =>
      midway.controller!.includes(`:${each.child.pid}:`),
    )!;
    const standby = holder === first ? second : first;
    expect(holder, midway.controller!).toBeDefined();
    holder.child.kill('SIGKILL');
    await holder.exited;

    const done = await until(
      async () => {
        await send();
        last = await planStatus(store);
        expect(last.state.phase).not.toBe('rolled_back');
        return last.state.phase === 'completed' ? last : undefined;
      },
      () => `the standby to finish the plan; it is ${JSON.stringify(last?.state)}`,
    );
    expect(
      done.state.history
        .filter((item) => item.event !== 'hold')
        .map((item) => [item.event, item.percentage]),
    ).toEqual([
      ['start', 20],
      ['advance', 50],
      ['advance', 100],
      ['complete', 100],
    ]);
    // The standby took the lease over from the controller killed (its heartbeat stopped).
    expect(standby.output()).toContain(
      `took over the lease of staging from ${midway.controller} (lease generation`,
    );
    expect(standby.child.exitCode).toBeNull();
    // Every instance followed the stages through the store, and serves 100 % now.
    await untilEvery(instances, (each) => each.rolloutPercentage === 100, 'serve 100 %');
    for (const instance of instances) {
      expect(instance.output()).not.toMatch(/CONFIG_NOT_WRITABLE|EACCES/);
      // The dashboard's data: the plan as the store holds it, not the read-only state/.
      const view = (await (
        await fetch(`${instance.url}/v1/dashboard/snapshot`)
      ).json()) as DashboardView;
      expect(view.plan?.phase).toBe('completed');
      expect(view.rollout.percentage.value).toBe(100);
    }
    standby.child.kill('SIGTERM');
    await standby.exited;
    expect(standby.child.exitCode).toBe(0);
    const after = await planStatus(store);
    expect(after.controller).toBeNull();
  }, 240_000);
});
