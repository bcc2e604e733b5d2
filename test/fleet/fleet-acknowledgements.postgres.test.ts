import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { DashboardView } from '../../src/dashboard/index.js';
import type { FleetStatus } from '../../src/runtime-store/index.js';
import { REPO_DIR } from '../helpers/config-dir.js';
import {
  cli,
  fetchStatus,
  type Instance,
  serveInstance,
  until,
  untilEvery,
} from '../helpers/fleet.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { INGEST_TOKEN, postOutcomes } from '../helpers/test-server.js';

const ADMIN_TOKEN = 'fleet-admin-token';
/** Long enough that a loaded machine's instances apply a change well within it: a deadline, not a duration. */
const WAIT = '60s';

async function fleetStatus(store: string, staleAfter: string): Promise<FleetStatus> {
  const run = await cli(['fleet', 'status', '--json', '--stale-after', staleAfter], store, {
    config: false,
  });
  expect(run.code, run.output).toBe(0);
  return JSON.parse(run.output) as FleetStatus;
}

/** Waits until `fleet status` lists exactly these instances as live, and returns it. */
function liveAre(store: string, instances: Instance[], staleAfter: string) {
  const pids = instances.map((each) => each.child.pid).sort();
  let seen: FleetStatus | undefined;
  return until(
    async () => {
      const status = await fleetStatus(store, staleAfter);
      seen = status;
      const live = status.instances.filter((each) => each.state === 'live');
      return JSON.stringify(live.map((each) => each.pid).sort()) === JSON.stringify(pids)
        ? status
        : undefined;
    },
    () => `fleet status to list pids ${pids.join(', ')} as live; it said ${JSON.stringify(seen)}`,
  );
}

async function adminPost(instance: Instance, path: string, body: unknown) {
  const response = await fetch(`${instance.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describePostgres('acknowledgements and fleet status on PostgreSQL', () => {
  const postgres = usePostgres();

  it('fleet status lists three instances; a CLI rollback and an admin resume are acknowledged by all three; a killed one is named as missing, then stale', async () => {
    const store = await postgres().createDatabase();
    const instances = await Promise.all(
      [1, 2, 3].map(() =>
        serveInstance(store, {
          args: ['--heartbeat', '200ms'],
          env: { FLAGROUTE_ADMIN_TOKEN: ADMIN_TOKEN },
        }),
      ),
    );

    // fleet status: every instance with its host, pid, address and configuration version.
    const status = await liveAre(store, instances, '60s');
    expect(status.environment).toBe('staging');
    expect(status.runtimeVersion).toBeNull();
    expect(status.skew).toEqual([]);
    const configVersion = (await fetchStatus(instances[0]!)).configVersion;
    for (const instance of instances) {
      const row = status.instances.find((each) => each.pid === instance.child.pid)!;
      expect(row).toMatchObject({ host: hostname(), listen: instance.url, configVersion });
      expect(row.id).toMatch(/^.+:\d+:[0-9a-f]{8}$/);
    }
    const text = await cli(['fleet', 'status', '--stale-after', '60s'], store, { config: false });
    expect(text.code, text.output).toBe(0);
    expect(text.output).toMatch(
      /^fleet of staging on PostgreSQL database "[^"]+" on 127\.0\.0\.1:\d+/,
    );
    expect(text.output).toContain('3 live, 0 stale');
    expect(text.output).toContain('skew: none');
    expect(text.output).not.toContain(new URL(store).password);

    // A CLI rollback waits until every live instance has applied it: then each serves 0 %.
    const rollback = await cli(['rollback', '--reason', 'pager', '--wait', WAIT], store);
    expect(rollback.code, rollback.output).toBe(0);
    expect(rollback.output).toMatch(
      /: runtime version 1 acknowledged by 3 of 3 live instances in \d+(\.\d+)? s\n$/,
    );
    for (const instance of instances)
      expect((await fetchStatus(instance)).rolloutPercentage).toBe(0);

    // The admin route (what the dashboard's buttons call) answers with the acknowledgements.
    const resume = await adminPost(instances[0]!, '/v1/rollout/resume', {
      reason: 'fixed',
      waitMs: 60_000,
    });
    expect(resume.status).toBe(200);
    expect(resume.body.acknowledgements).toMatchObject({
      version: '2',
      live: 3,
      acknowledged: 3,
      complete: true,
      missing: [],
    });
    for (const instance of instances)
      expect((await fetchStatus(instance)).rolloutPercentage).toBe(50);
    const refused = await adminPost(instances[1]!, '/v1/rollback', { waitMs: -1 });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('waitMs');
    expect((await fetchStatus(instances[1]!)).rolloutPercentage).toBe(50); // nothing changed

    // A killed instance still counts as live until its heartbeat is stale: it is named missing.
    const [first, second, killed] = instances as [Instance, Instance, Instance];
    killed.child.kill('SIGKILL');
    await killed.exited;
    const partial = await cli(
      ['rollback', '--reason', 'again', '--wait', '3s', '--stale-after', '60s'],
      store,
    );
    expect(partial.code, partial.output).toBe(0);
    expect(partial.output).toMatch(
      /runtime version 3 acknowledged by [0-2] of 3 live instances within 3 s; missing: .*/,
    );
    const missing = partial.output.slice(partial.output.indexOf('missing: '));
    expect(missing).toContain(`pid ${killed.child.pid} (${killed.url})`);
    expect(missing).toMatch(/applied runtime version 2, last seen/);

    // Once its heartbeat is stale (5 s: 25 heartbeats of the others) it is listed as such and
    // nobody waits for it.
    const stale = await until(
      async () => {
        const seen = await fleetStatus(store, '5s');
        const row = seen.instances.find((each) => each.pid === killed.child.pid);
        return row?.state === 'stale' ? seen : undefined;
      },
      () => 'the killed instance to be stale',
    );
    expect(
      stale.instances
        .filter((each) => each.state === 'live')
        .map((each) => each.pid)
        .sort(),
    ).toEqual([first.child.pid, second.child.pid].sort());
    const resumed = await cli(
      ['rollout', 'resume', '--reason', 'two left', '--wait', WAIT, '--stale-after', '5s'],
      store,
    );
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(/acknowledged by 2 of 2 live instances in /);

    // An instance that stops cleanly says goodbye: it is stopped at once, not stale.
    first.child.kill('SIGTERM');
    await first.exited;
    const after = await fleetStatus(store, '60s');
    expect(after.instances.find((each) => each.pid === first.child.pid)?.state).toBe('stopped');
  }, 240_000);

  it('a rollback trigger that fires on one instance engages the kill switch of every instance', async () => {
    const store = await postgres().createDatabase();
    // Staging's triggers, written to the runtime store when they fire (persist: true).
    const staging = await readFile(join(REPO_DIR, 'environments', 'staging.yaml'), 'utf8');
    const files = { 'environments/staging.yaml': `${staging}  persist: true\n` };
    const instances = await Promise.all(
      [1, 2, 3].map(() =>
        serveInstance(store, { files, env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN } }),
      ),
    );
    for (const instance of instances)
      expect((await fetchStatus(instance)).rolloutPercentage).toBe(50);
    // LightRAG fails on the first instance only: its breaker and error-rate triggers fire there.
    const failing = instances[0]!;
    for (let call = 0; call < 25; call += 1) {
      const answer = await postOutcomes(`${failing.url}/v1/outcomes`, {
        backend: 'lightrag',
        cohort: 'lightrag',
        userId: `user-${call}`,
        success: false,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    }
    await untilEvery(
      instances,
      (each) => each.rolloutPercentage === 0 && each.rolloutLayers.killSwitch.engaged,
      () =>
        `serve 0 % under the kill switch the trigger engaged; the failing one said:\n${failing.output()}`,
    );
    // It is the store's kill switch, engaged by a trigger, that every instance shows.
    const status = await cli(['status', '--json'], store, { files });
    expect(status.code, status.output).toBe(0);
    const layers = JSON.parse(status.output) as {
      rolloutPercentage: number;
      layers: { killSwitch: { engaged: boolean; trigger?: string; origin: string } };
    };
    expect(layers.rolloutPercentage).toBe(0);
    expect(layers.layers.killSwitch).toMatchObject({ engaged: true });
    expect(layers.layers.killSwitch.trigger).not.toBe('manual');
    expect(layers.layers.killSwitch.origin).toMatch(/^kill switch \(PostgreSQL database "/);
    const view = (await (
      await fetch(`${instances[2]!.url}/v1/dashboard/snapshot`)
    ).json()) as DashboardView;
    expect(view.rollout.percentage.value).toBe(0);
    expect(view.rollout.killSwitch).toMatch(/^Kill switch engaged: 0 % everywhere/);
  }, 180_000);
});
