import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { connectPostgres } from '../../src/postgres/connection.js';
import {
  ADVISORY_LOCK_CLASS,
  ADVISORY_LOCKS,
  migrateSchema,
  migrateStore,
} from '../../src/postgres/migrate-schema.js';
import { readMigrations } from '../../src/postgres/migration-files.js';
import { parsePostgresUrl } from '../../src/postgres/store-url.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';

const MIGRATIONS = readMigrations();
const NEWEST = MIGRATIONS.length;

/** Every table the migrations make (besides schema_migrations). */
const TABLES = [
  'controller_lease',
  'exposure_events',
  'instances',
  'outcome_events',
  'plan_commands',
  'plan_state',
  'plan_state_set_aside',
  'runtime_history',
  'runtime_state',
];

async function session(url: string, applicationName = 'flagroute-test'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  client.on('error', () => {});
  onTestEnd(() => client.end());
  return client;
}

async function tablesOf(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'flagroute' ORDER BY 1",
  );
  return rows.map((row) => row.name);
}

async function failure(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

/** Polls `check` until it holds, for at most 30 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describePostgres('migrateStore', () => {
  const postgres = usePostgres();

  it('brings an empty database to the newest schema, recording each migration', async () => {
    const url = await postgres().createDatabase();
    const report = await migrateStore({ url });
    expect(report).toMatchObject({ from: 0, to: NEWEST });
    expect(report.applied.map((each) => each.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(report.store).toMatch(/^database "flagroute_test_\w+" on 127\.0\.0\.1:\d+ as "/);

    const client = await session(url);
    expect(await tablesOf(client)).toEqual([...TABLES, 'schema_migrations'].sort());
    const { rows } = await client.query(
      'SELECT version, name, checksum, applied_by FROM flagroute.schema_migrations ORDER BY 1',
    );
    expect(rows).toEqual(
      MIGRATIONS.map((m) => ({
        version: m.version,
        name: m.name,
        checksum: m.checksum,
        applied_by: expect.stringMatching(/^flagroute \d+\.\d+\.\d+ on .+, process \d+$/),
      })),
    );
  });

  it('applies nothing the second time', async () => {
    const url = await postgres().createDatabase();
    await migrateStore({ url });
    expect(await migrateStore({ url })).toMatchObject({ from: NEWEST, to: NEWEST, applied: [] });
  });

  it('is safe with several migrators at once: one applies, the others find it done', async () => {
    const url = await postgres().createDatabase();
    const reports = await Promise.all(Array.from({ length: 6 }, () => migrateStore({ url })));
    const appliers = reports.filter((report) => report.applied.length > 0);
    expect(appliers).toHaveLength(1);
    expect(appliers[0]!.from).toBe(0);
    for (const report of reports) expect(report.to).toBe(NEWEST);
    const client = await session(url);
    const { rows } = await client.query(
      'SELECT count(*)::int AS n FROM flagroute.schema_migrations',
    );
    expect(rows[0].n).toBe(NEWEST);
  });

  it('waits for the migration lock while another session holds it', async () => {
    const url = await postgres().createDatabase();
    const holder = await session(url, 'other-migrator');
    await holder.query('SELECT pg_advisory_lock($1, $2)', [
      ADVISORY_LOCK_CLASS,
      ADVISORY_LOCKS.migrations,
    ]);
    const migrating = migrateStore({ url, applicationName: 'waiting-migrator' });
    const observer = await session(url);
    await until(async () => {
      const { rows } = await observer.query(
        `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = 'waiting-migrator'`,
      );
      return rows.length === 1;
    }, 'the migrator to wait for the lock');
    expect(await tablesOf(observer)).toEqual([]);
    await holder.query('SELECT pg_advisory_unlock_all()');
    expect((await migrating).applied).toHaveLength(NEWEST);
  });

  it('gives up waiting for the lock after the lock timeout, naming who holds it', async () => {
    const url = await postgres().createDatabase();
    const holder = await session(url, 'stuck-migrator');
    await holder.query('SELECT pg_advisory_lock($1, $2)', [
      ADVISORY_LOCK_CLASS,
      ADVISORY_LOCKS.migrations,
    ]);
    const error = await failure(migrateStore({ url, lockTimeoutMs: 100 }));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.reason).toBe('55P03');
    expect(error.message).toContain('application "stuck-migrator"');
  });

  it('refuses a schema newer than it knows, and leaves it as it is', async () => {
    const url = await postgres().createDatabase();
    await migrateStore({ url });
    const client = await session(url);
    await client.query(
      `INSERT INTO flagroute.schema_migrations (version, name, checksum, applied_by)
       VALUES ($1, 'from-the-future', 'x', 'flagroute 99.0.0')`,
      [NEWEST + 1],
    );
    const error = await failure(migrateStore({ url }));
    expect(error.code).toBe('STORE_SCHEMA_MISMATCH');
    expect(error.message).toContain(
      `the flagroute schema is at version ${NEWEST + 1}, newer than this flagroute`,
    );
    expect(error.message).toContain(`knows (up to ${NEWEST})`);
    const { rows } = await client.query(
      'SELECT max(version) AS v FROM flagroute.schema_migrations',
    );
    expect(rows[0].v).toBe(NEWEST + 1);
  });

  it('refuses a database migrated by other SQL under the same version', async () => {
    const url = await postgres().createDatabase();
    await migrateStore({ url });
    const client = await session(url);
    await client.query(
      "UPDATE flagroute.schema_migrations SET checksum = 'edited' WHERE version = 1",
    );
    const error = await failure(migrateStore({ url }));
    expect(error.code).toBe('STORE_SCHEMA_MISMATCH');
    expect(error.message).toContain('migration 1 (initial) in the database differs');
  });

  it('rolls a failing migration back whole, keeping the ones before it', async () => {
    const url = await postgres().createDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'flagroute-migrations-'));
    onTestEnd(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, '0001-first.sql'), 'CREATE TABLE flagroute.first (id int);');
    await writeFile(
      join(dir, '0002-broken.sql'),
      'CREATE TABLE flagroute.half_done (id int);\nSELECT no_such_function();',
    );
    const target = parsePostgresUrl(url, 'test');
    const client = await connectPostgres(target);
    onTestEnd(() => client.end());
    const error = await failure(migrateSchema(client, target, { migrations: readMigrations(dir) }));
    expect(error.code).toBe('STORE_SCHEMA_MISMATCH');
    expect(error.reason).toBe('42883');
    expect(error.message).toMatch(/^migration 2 \(broken\) was not applied: PostgreSQL database/);
    expect(await tablesOf(client)).toEqual(['first', 'schema_migrations']);
    const { rows } = await client.query('SELECT version FROM flagroute.schema_migrations');
    expect(rows).toEqual([{ version: 1 }]);
  });

  it('says which privilege a role lacks, and migrates once a DBA made the schema for it', async () => {
    const server = postgres();
    const url = new URL(await server.createDatabase());
    const database = url.pathname.slice(1);
    await server.query(`CREATE ROLE ${database}_app LOGIN PASSWORD 'app-secret'`);
    url.username = `${database}_app`;
    url.password = 'app-secret';

    const error = await failure(migrateStore({ url: url.href }));
    expect(error.code).toBe('STORE_ACCESS_DENIED');
    expect(error.reason).toBe('42501');
    expect(error.message).toContain('the role lacks a privilege: permission denied for database');
    expect(error.message).not.toContain('app-secret');

    await server.query(`CREATE SCHEMA flagroute AUTHORIZATION ${database}_app`, [], database);
    expect((await migrateStore({ url: url.href })).to).toBe(NEWEST);
  });

  it('refuses a wrong password and a missing database with codes, never showing the password', async () => {
    const url = new URL(await postgres().createDatabase());
    url.password = 'not-the-password';
    const wrong = await failure(migrateStore({ url: url.href }));
    expect(wrong).toMatchObject({ code: 'STORE_ACCESS_DENIED', reason: '28P01' });
    expect(wrong.message).not.toContain('not-the-password');

    const missing = new URL(await postgres().createDatabase());
    missing.pathname = '/no_such_database';
    const error = await failure(migrateStore({ url: missing.href }));
    expect(error).toMatchObject({ code: 'STORE_ACCESS_DENIED', reason: '3D000' });
    expect(error.message).toContain('database "no_such_database"');
    expect(error.message).toContain('the database does not exist');
    expect(error.message).not.toContain(missing.password);
  });
});
