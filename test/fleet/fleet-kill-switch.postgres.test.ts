import { expect, it } from 'vitest';
import { cli, fetchStatus, serveInstance, until, untilEvery } from '../helpers/fleet.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';

describePostgres('a fleet on PostgreSQL', () => {
  const postgres = usePostgres();

  it('a rollback from the CLI reaches every instance, each on its own read-only config; resume too', async () => {
    const store = await postgres().createDatabase();
    const instances = await Promise.all([1, 2, 3].map(() => serveInstance(store)));
    for (const instance of instances)
      expect((await fetchStatus(instance)).rolloutPercentage).toBe(50);

    const rollback = await cli(['rollback', '--reason', 'pager: error budget'], store);
    expect(rollback.code, rollback.output).toBe(0);
    expect(rollback.output).toMatch(
      /^PostgreSQL database "[^"]+" on 127\.0\.0\.1:\d+ as "[^"]+": /,
    );
    expect(rollback.output).not.toContain(new URL(store).password);
    await untilEvery(
      instances,
      (status) => status.rolloutPercentage === 0 && status.rolloutLayers.killSwitch.engaged,
      'serve 0 % under the kill switch',
    );

    const resume = await cli(['rollout', 'resume', '--reason', 'fixed'], store);
    expect(resume.code, resume.output).toBe(0);
    await untilEvery(
      instances,
      (status) => status.rolloutPercentage === 50 && !status.rolloutLayers.killSwitch.engaged,
      'serve 50 % again',
    );
    // Nobody wrote the files: they are read-only for the instances and the CLI alike.
    for (const instance of instances)
      expect(instance.output()).not.toMatch(/CONFIG_NOT_WRITABLE|EACCES/);
  }, 180_000);

  it('a rollback whose notification never comes reaches every instance through the poll', async () => {
    const store = await postgres().createDatabase();
    const instances = await Promise.all([1, 2, 3].map(() => serveInstance(store)));
    for (const instance of instances)
      expect((await fetchStatus(instance)).rolloutPercentage).toBe(50);
    // The runtime row's trigger is the only sender of NOTIFY: without it, only the poll can tell.
    await postgres().query(
      'ALTER TABLE flagroute.runtime_state DISABLE TRIGGER runtime_state_announce',
      [],
      new URL(store).pathname.slice(1),
    );

    const rollback = await cli(['rollback', '--reason', 'pager: notification lost'], store);
    expect(rollback.code, rollback.output).toBe(0);
    await untilEvery(
      instances,
      (status) => status.rolloutPercentage === 0 && status.rolloutLayers.killSwitch.engaged,
      'find the kill switch by its poll',
    );
  }, 180_000);

  it('an instance keeps serving while PostgreSQL is away, degraded in /readyz and /metrics, and recovers', async () => {
    const server = postgres();
    const store = await server.createDatabase();
    const instance = await serveInstance(store);
    const readiness = async () => {
      const response = await fetch(`${instance.url}/readyz`);
      return (await response.json()) as {
        status: string;
        store?: { status: string; message: string };
      };
    };
    await until(
      async () => ((await readiness()).store?.status === 'ok' ? true : undefined),
      () => 'the store to be followed',
    );
    const rollback = await cli(['rollback', '--reason', 'before the outage'], store);
    expect(rollback.code, rollback.output).toBe(0);
    await until(
      async () => ((await fetchStatus(instance)).rolloutPercentage === 0 ? true : undefined),
      () => 'the kill switch to be served',
    );

    await server.stop('fast');
    try {
      const degraded = await until(
        async () => {
          const ready = await readiness();
          return ready.status === 'degraded' ? ready : undefined;
        },
        () => 'the instance to say it is degraded',
      );
      expect(degraded.store?.message).toMatch(
        /^degraded: store unreachable since \S+, serving the runtime state of \S+$/,
      );
      expect(degraded.store?.message).not.toContain(new URL(store).password);
      // Decisions never wait on the store: the kill switch read before the outage still holds.
      const status = await fetchStatus(instance);
      expect(status.rolloutPercentage).toBe(0);
      const metrics = await (await fetch(`${instance.url}/metrics`)).text();
      expect(metrics).toMatch(/^flagroute_runtime_store_up 0$/m);
      expect(metrics).toMatch(/^flagroute_runtime_store_read_failures_total [1-9]\d*$/m);
    } finally {
      await server.start();
    }
    await until(
      async () => ((await readiness()).status === 'ready' ? true : undefined),
      () => 'the instance to be ready again',
    );
    const resume = await cli(['rollout', 'resume', '--reason', 'after the outage'], store);
    expect(resume.code, resume.output).toBe(0);
    await until(
      async () => ((await fetchStatus(instance)).rolloutPercentage === 50 ? true : undefined),
      () => 'the resume to be served after the outage',
    );
    expect(instance.child.exitCode).toBeNull();
  }, 180_000);

  it('an HTTP rollback while PostgreSQL is away engages the kill switch here and says the store is the cause', async () => {
    const server = postgres();
    const store = await server.createDatabase();
    const instance = await serveInstance(store, { env: { FLAGROUTE_ADMIN_TOKEN: 'admin' } });
    await server.stop('fast');
    try {
      const response = await fetch(`${instance.url}/v1/rollback`, {
        method: 'POST',
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'pager during the outage' }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        rolloutPercentage: number;
        killSwitch: { engaged: boolean; persisted: boolean; details: string };
      };
      expect(body.rolloutPercentage).toBe(0);
      expect(body.killSwitch).toMatchObject({ engaged: true, persisted: false });
      expect(body.killSwitch.details).toContain('the fleet store cannot be written now (STORE_');
      expect(body.killSwitch.details).not.toContain('read-only');
      expect(body.killSwitch.details).not.toContain(new URL(store).port);
    } finally {
      await server.start();
    }
  }, 120_000);
});
