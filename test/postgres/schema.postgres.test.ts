import pg from 'pg';
import { expect, it } from 'vitest';
import { migrateStore } from '../../src/postgres/migrate-schema.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';

/** A database at the newest schema, and a session on it. */
async function migrated(url: string): Promise<pg.Client> {
  await migrateStore({ url });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onTestEnd(() => client.end());
  return client;
}

/** The SQLSTATE a statement fails with (or 'ok'). */
async function sqlState(client: pg.Client, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await client.query(sql, params);
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

/** Collects the notifications of `channels` on a session of their own. */
async function listen(url: string, ...channels: string[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onTestEnd(() => client.end());
  const seen: { channel: string; payload: unknown }[] = [];
  client.on('notification', (message) => {
    seen.push({ channel: message.channel, payload: JSON.parse(message.payload ?? 'null') });
  });
  for (const channel of channels) await client.query(`LISTEN ${channel}`);
  return {
    seen,
    /** Waits (polling, at most 30 s) until `count` notifications have arrived. */
    async until(count: number) {
      const deadline = Date.now() + 30_000;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`${seen.length} of ${count} notifications`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return seen;
    },
  };
}

const TAKE_LEASE = `
  INSERT INTO flagroute.controller_lease (environment, holder, heartbeat_at, expires_at)
  VALUES ($1, $2, now(), now() + interval '30 seconds')
  ON CONFLICT (environment) DO UPDATE
    SET holder = excluded.holder, heartbeat_at = now(), expires_at = now() + interval '30 seconds'
  RETURNING fencing_token`;

/** Ends a lease as if its holder had stopped renewing it long ago. */
const EXPIRE_LEASE = `
  UPDATE flagroute.controller_lease
     SET heartbeat_at = now() - interval '2 minutes', expires_at = now() - interval '1 minute'
   WHERE environment = $1`;

const WRITE_PLAN = `
  INSERT INTO flagroute.plan_state (environment, state, fencing_token) VALUES ($1, $2, $3)
  ON CONFLICT (environment) DO UPDATE SET state = excluded.state, fencing_token = excluded.fencing_token
  RETURNING version`;

async function takeLease(client: pg.Client, environment: string, holder: string) {
  const { rows } = await client.query<{ fencing_token: string }>(TAKE_LEASE, [environment, holder]);
  return Number(rows[0]!.fencing_token);
}

describePostgres('the flagroute schema', () => {
  const postgres = usePostgres();

  it('versions every runtime change, keeps its history and announces it on commit', async () => {
    const url = await postgres().createDatabase();
    const client = await migrated(url);
    const runtime = await listen(url, 'flagroute_runtime');

    await client.query(
      `INSERT INTO flagroute.runtime_state
         (environment, rollout_percentage, rollout_origin, rollout_reason, rollout_set_at, changed_by, version)
       VALUES ('production', 30, 'cli', 'stage 3', now(), 'alice', 41)`,
    );
    await client.query(
      `UPDATE flagroute.runtime_state
          SET kill_switch = true, kill_switch_trigger = 'manual', kill_switch_reason = 'error spike',
              kill_switch_at = now(), kill_switch_previous_percentage = 30, changed_by = 'bob', version = 1
        WHERE environment = 'production'`,
    );
    const { rows } = await client.query(
      'SELECT version, changed_by, kill_switch FROM flagroute.runtime_state',
    );
    // The trigger numbers versions, whatever a writer sends.
    expect(rows).toEqual([{ version: '2', changed_by: 'bob', kill_switch: true }]);
    const history = await client.query(
      `SELECT version, changed_by, state->>'rollout_percentage' AS percentage, (state->>'kill_switch')::boolean AS kill
         FROM flagroute.runtime_history ORDER BY version`,
    );
    expect(history.rows).toEqual([
      { version: '1', changed_by: 'alice', percentage: '30', kill: false },
      { version: '2', changed_by: 'bob', percentage: '30', kill: true },
    ]);
    expect(await runtime.until(2)).toEqual([
      { channel: 'flagroute_runtime', payload: { environment: 'production', version: 1 } },
      { channel: 'flagroute_runtime', payload: { environment: 'production', version: 2 } },
    ]);

    // Nothing is announced for a change that is rolled back.
    await client.query('BEGIN');
    await client.query(
      "UPDATE flagroute.runtime_state SET changed_by = 'carol' WHERE environment = 'production'",
    );
    await client.query('ROLLBACK');
    await client.query(
      "UPDATE flagroute.runtime_state SET changed_by = 'dave' WHERE environment = 'production'",
    );
    expect((await runtime.until(3))[2]!.payload).toEqual({
      environment: 'production',
      version: 3,
    });
  });

  it('refuses runtime rows that say something impossible', async () => {
    const client = await migrated(await postgres().createDatabase());
    const insert = (columns: string, values: string) =>
      sqlState(
        client,
        `INSERT INTO flagroute.runtime_state (environment, changed_by, ${columns}) VALUES ('staging', 'x', ${values})`,
      );
    expect(
      await insert('rollout_percentage, rollout_origin, rollout_set_at', "101, 'cli', now()"),
    ).toBe('23514');
    expect(await insert('rollout_percentage', '20')).toBe('23514'); // no origin
    expect(await insert('kill_switch', 'true')).toBe('23514'); // no time, no reason
    expect(
      await sqlState(
        client,
        "INSERT INTO flagroute.runtime_state (environment, changed_by) VALUES ('bad name', 'x')",
      ),
    ).toBe('23514');
    expect(
      await insert('rollout_percentage, rollout_origin, rollout_set_at', "20, 'cli', now()"),
    ).toBe('ok');
  });

  it('hands the controller lease over only when it is free or expired, the fencing token growing each time', async () => {
    const client = await migrated(await postgres().createDatabase());
    expect(await takeLease(client, 'production', 'controller-a')).toBe(1);
    expect(await takeLease(client, 'production', 'controller-a')).toBe(1); // a renewal
    expect(await sqlState(client, TAKE_LEASE, ['production', 'controller-b'])).toBe('ZF002');

    await client.query(EXPIRE_LEASE, ['production']);
    expect(await takeLease(client, 'production', 'controller-b')).toBe(2);

    expect(await sqlState(client, 'UPDATE flagroute.controller_lease SET fencing_token = 1')).toBe(
      'ZF003',
    );

    await client.query(
      `UPDATE flagroute.controller_lease
          SET holder = NULL, acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL`,
    );
    expect(await takeLease(client, 'production', 'controller-b')).toBe(3); // released, then taken
    const { rows } = await client.query(
      'SELECT holder, acquired_at <= now() AS since FROM flagroute.controller_lease',
    );
    expect(rows).toEqual([{ holder: 'controller-b', since: true }]);
  });

  it('refuses writes under a stale fencing token, and a person needs none for the runtime', async () => {
    const url = await postgres().createDatabase();
    const client = await migrated(url);
    const plans = await listen(url, 'flagroute_plan');
    const stateA = { version: 1, phase: 'running', stage: 0 };
    expect(await sqlState(client, WRITE_PLAN, ['production', stateA, 1])).toBe('ZF001'); // no lease

    const a = await takeLease(client, 'production', 'controller-a');
    expect((await client.query(WRITE_PLAN, ['production', stateA, a])).rows).toEqual([
      { version: '1' },
    ]);
    await client.query(EXPIRE_LEASE, ['production']);
    // Expired: controller-a may not write, even though nobody has taken over yet.
    expect(await sqlState(client, WRITE_PLAN, ['production', stateA, a])).toBe('ZF001');

    const b = await takeLease(client, 'production', 'controller-b');
    expect(await sqlState(client, WRITE_PLAN, ['production', { ...stateA, stage: 1 }, a])).toBe(
      'ZF001',
    );
    expect(
      (await client.query(WRITE_PLAN, ['production', { ...stateA, stage: 1 }, b])).rows,
    ).toEqual([{ version: '2' }]);
    expect((await plans.until(2)).map((each) => each.payload)).toEqual([
      { environment: 'production', version: 1 },
      { environment: 'production', version: 2 },
    ]);

    const runtime = `INSERT INTO flagroute.runtime_state (environment, rollout_percentage, rollout_origin, rollout_set_at, changed_by, fencing_token)
                     VALUES ('production', 5, 'controller', now(), 'controller', $1)
                     ON CONFLICT (environment) DO UPDATE SET rollout_percentage = 10, fencing_token = excluded.fencing_token`;
    expect(await sqlState(client, runtime, [a])).toBe('ZF001');
    expect(await sqlState(client, runtime, [b])).toBe('ok');
    expect(await sqlState(client, runtime, [null])).toBe('ok'); // a person's change
    // An upsert is one change: one version, one history row (the refused one left none).
    const history = await client.query(
      'SELECT version, fencing_token FROM flagroute.runtime_history ORDER BY version',
    );
    expect(history.rows).toEqual([
      { version: '1', fencing_token: String(b) },
      { version: '2', fencing_token: null },
    ]);
  });

  it('queues plan commands in order, announces each, and lets only the live lease take them', async () => {
    const url = await postgres().createDatabase();
    const client = await migrated(url);
    const commands = await listen(url, 'flagroute_commands');
    const queue = (action: string, reason: string) =>
      client.query(
        `INSERT INTO flagroute.plan_commands (environment, action, reason, requested_by)
         VALUES ('production', $1, $2, 'alice') RETURNING id`,
        [action, reason],
      );
    const first = Number((await queue('pause', 'checking a dashboard')).rows[0].id);
    const second = Number((await queue('resume', 'looks fine')).rows[0].id);
    expect(second).toBeGreaterThan(first);
    expect(
      await sqlState(
        client,
        "INSERT INTO flagroute.plan_commands (environment, action, reason, requested_by) VALUES ('production', 'pause', '  ', 'x')",
      ),
    ).toBe('23514');
    expect((await commands.until(2)).map((each) => each.payload)).toEqual([
      { environment: 'production', version: first },
      { environment: 'production', version: second },
    ]);

    const take = `UPDATE flagroute.plan_commands SET taken_at = now(), fencing_token = $1
                   WHERE id = (SELECT id FROM flagroute.plan_commands
                                WHERE environment = 'production' AND taken_at IS NULL
                                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
               RETURNING id, action`;
    expect(await sqlState(client, take, [7])).toBe('ZF001');
    const token = await takeLease(client, 'production', 'controller-a');
    expect((await client.query(take, [token])).rows).toEqual([
      { id: String(first), action: 'pause' },
    ]);
  });

  it('records one outcome per decision token and one exposure per unit and period, fleet-wide', async () => {
    const client = await migrated(await postgres().createDatabase());
    const outcome = `
      INSERT INTO flagroute.outcome_events
        (decision_id, environment, occurred_at, unit, cohort, backend, success, latency_ms, quality, instance_id)
      VALUES ($1, 'production', now(), 'u1', 'lightrag', 'lightrag', true, 850, 0.9, $2)
      ON CONFLICT (decision_id) DO NOTHING RETURNING decision_id`;
    expect((await client.query(outcome, ['token-1', 'instance-1'])).rowCount).toBe(1);
    // The same token's outcome posted to another instance is a duplicate, not a second count.
    expect((await client.query(outcome, ['token-1', 'instance-2'])).rowCount).toBe(0);
    expect(
      await sqlState(
        client,
        `INSERT INTO flagroute.outcome_events (decision_id, environment, occurred_at, cohort, backend, success)
         VALUES ('token-1', 'production', now(), 'lightrag', 'lightrag', false)`,
      ),
    ).toBe('23505');
    expect(
      await sqlState(
        client,
        `INSERT INTO flagroute.outcome_events (decision_id, environment, occurred_at, cohort, backend, success, quality)
         VALUES ('token-2', 'production', now(), 'lightrag', 'lightrag', true, 1.5)`,
      ),
    ).toBe('23514');

    // One exposure per unit, period and arm, whichever instance writes it first.
    const exposure = `
      INSERT INTO flagroute.exposure_events (environment, period, unit, cohort, backend, percentage, exposed_at)
      VALUES ('production', 'p10', 'u1', $1, 'perplexity', 10, now())`;
    expect(await sqlState(client, exposure, ['perplexity'])).toBe('ok');
    expect(await sqlState(client, exposure, ['perplexity'])).toBe('23505');
    expect(await sqlState(client, exposure, ['treatment'])).toBe('23514');
  });

  it('announces the runtime version an instance applied (what a rollback waits for)', async () => {
    const url = await postgres().createDatabase();
    const client = await migrated(url);
    const acks = await listen(url, 'flagroute_instances');
    await client.query(
      `INSERT INTO flagroute.instances (instance_id, environment, host, pid, flagroute_version)
       VALUES ('pod-1', 'production', 'pod-1.local', 42, '0.1.0')`,
    );
    const heartbeat = `UPDATE flagroute.instances SET heartbeat_at = now(), runtime_version = $1,
                              runtime_applied_at = now() WHERE instance_id = 'pod-1'`;
    await client.query(heartbeat, [3]);
    await client.query(heartbeat, [3]); // a heartbeat that applied nothing new
    await client.query(heartbeat, [4]);
    await acks.until(2);
    await client.query("SELECT pg_notify('flagroute_instances', '{\"marker\": true}')");
    expect((await acks.until(3)).map((each) => each.payload)).toEqual([
      { environment: 'production', version: 3 },
      { environment: 'production', version: 4 },
      { marker: true },
    ]);
  });
});
