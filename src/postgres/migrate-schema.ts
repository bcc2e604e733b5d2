import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { StoreError } from '../errors.js';
import { packageVersion } from '../package-version.js';
import { connectPostgres } from './connection.js';
import { type Migration, readMigrations, SCHEMA } from './migration-files.js';
import { storeErrorOf } from './store-errors.js';
import { type PostgresTarget, parsePostgresUrl } from './store-url.js';

/**
 * flagroute's advisory locks take two keys: this class (`flag` in ASCII), then one of
 * {@link ADVISORY_LOCKS}. An application sharing the database avoids this class.
 */
export const ADVISORY_LOCK_CLASS = 0x666c6167;

/** The second key of each flagroute advisory lock. */
export const ADVISORY_LOCKS = { migrations: 1 } as const;

/** How long a migrator waits for another's migration (or for a table lock) by default. */
export const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

/**
 * What the migrator needs of a connection: node-postgres's `Client` (or a pooled client) is
 * one. Declared here so that flagroute's public types do not depend on node-postgres's.
 */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** What a migration run did. */
export interface MigrationReport {
  /** Where (no secrets): `database "flagroute" on db:5432 as "app"`. */
  store: string;
  /** The schema version found (0: no flagroute schema yet). */
  from: number;
  /** The schema version now: the newest this flagroute knows. */
  to: number;
  /** The migrations this run applied, in order (none when another had applied them). */
  applied: { version: number; name: string }[];
}

/** Options of {@link migrateSchema}. */
export interface MigrateSchemaOptions {
  /** The migrations to apply. Default: the ones flagroute ships. */
  migrations?: readonly Migration[];
  /** Waiting longer for the migration lock or a table lock fails with `STORE_UNAVAILABLE`. */
  lockTimeoutMs?: number;
  logger?: Logger;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings the `flagroute` schema up to the newest version this flagroute knows: under an
 * advisory lock (concurrent migrators wait, then find the work done), each pending migration
 * in a transaction of its own, recorded in `flagroute.schema_migrations`. A schema newer than
 * this flagroute knows, or one migrated by other SQL, is refused with `STORE_SCHEMA_MISMATCH`
 * and left untouched.
 */
export async function migrateSchema(
  client: Queryable,
  target: PostgresTarget,
  options: MigrateSchemaOptions = {},
): Promise<MigrationReport> {
  const migrations = options.migrations ?? readMigrations();
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  await runStatement(
    client,
    target,
    `SET lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`,
  );
  try {
    await lockMigrations(client, target, lockTimeoutMs);
    try {
      const applied = await appliedMigrations(client, target);
      const from = checkApplied(applied, migrations, target);
      const report: MigrationReport = { store: target.description, from, to: from, applied: [] };
      for (const migration of migrations.filter((each) => each.version > from)) {
        await applyMigration(client, target, migration);
        options.logger?.info(
          { store: target.description, version: migration.version, name: migration.name },
          'applied a schema migration',
        );
        report.applied.push({ version: migration.version, name: migration.name });
        report.to = migration.version;
      }
      return report;
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1, $2)', [
          ADVISORY_LOCK_CLASS,
          ADVISORY_LOCKS.migrations,
        ])
        .catch(() => {}); // a lost connection has released it already
    }
  } finally {
    await client.query('RESET lock_timeout').catch(() => {});
  }
}

async function runStatement(
  client: Queryable,
  target: PostgresTarget,
  sql: string,
  params: unknown[] = [],
) {
  try {
    return await client.query(sql, params);
  } catch (error) {
    throw storeErrorOf(error, target);
  }
}

async function lockMigrations(client: Queryable, target: PostgresTarget, timeoutMs: number) {
  const keys = [ADVISORY_LOCK_CLASS, ADVISORY_LOCKS.migrations];
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', keys);
  } catch (error) {
    if ((error as { code?: unknown }).code !== '55P03') throw storeErrorOf(error, target);
    const holder = await runStatement(
      client,
      target,
      `SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l
         JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2`,
      keys,
    );
    const row = holder.rows[0] as { pid: number; application_name: string } | undefined;
    const who = row ? ` (server process ${row.pid}, application "${row.application_name}")` : '';
    throw new StoreError(
      'STORE_UNAVAILABLE',
      `PostgreSQL ${target.description}: another migration${who} has held the schema lock for over ${Math.round(timeoutMs / 1000)} s; try again when it ends`,
      '55P03',
    );
  }
}

async function appliedMigrations(client: Queryable, target: PostgresTarget): Promise<AppliedRow[]> {
  const schema = await runStatement(
    client,
    target,
    'SELECT 1 FROM pg_namespace WHERE nspname = $1',
    [SCHEMA],
  );
  // Created only when missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the
  // database even when a DBA made the schema beforehand.
  if (schema.rowCount === 0) await runStatement(client, target, `CREATE SCHEMA ${SCHEMA}`);
  await runStatement(
    client,
    target,
    `CREATE TABLE IF NOT EXISTS ${SCHEMA}.schema_migrations (
       version integer PRIMARY KEY CHECK (version >= 1),
       name text NOT NULL,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       applied_by text NOT NULL
     )`,
  );
  const rows = await runStatement(
    client,
    target,
    `SELECT version, name, checksum FROM ${SCHEMA}.schema_migrations ORDER BY version`,
  );
  return rows.rows as AppliedRow[];
}

/** The version the database is at, after checking that it is one this flagroute can serve. */
function checkApplied(
  applied: readonly AppliedRow[],
  migrations: readonly Migration[],
  target: PostgresTarget,
): number {
  const where = `PostgreSQL ${target.description}`;
  const known = migrations.length;
  const newest = applied.at(-1)?.version ?? 0;
  if (newest > known) {
    throw new StoreError(
      'STORE_SCHEMA_MISMATCH',
      `${where}: the flagroute schema is at version ${newest}, newer than this flagroute (${packageVersion()}) knows (up to ${known}); run a flagroute at least as new as the one that migrated it, or use another database`,
    );
  }
  applied.forEach((row, index) => {
    const migration = migrations[index];
    if (row.version !== index + 1 || !migration) {
      throw new StoreError(
        'STORE_SCHEMA_MISMATCH',
        `${where}: the flagroute schema lacks migration ${index + 1} but has ${row.version}; it was not made by flagroute's migrations`,
      );
    }
    if (row.checksum !== migration.checksum || row.name !== migration.name) {
      throw new StoreError(
        'STORE_SCHEMA_MISMATCH',
        `${where}: migration ${row.version} (${row.name}) in the database differs from this flagroute's (${migration.name}); it was migrated by another build`,
      );
    }
  });
  return newest;
}

async function applyMigration(client: Queryable, target: PostgresTarget, migration: Migration) {
  try {
    await client.query('BEGIN');
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO ${SCHEMA}.schema_migrations (version, name, checksum, applied_by)
       VALUES ($1, $2, $3, $4)`,
      [
        migration.version,
        migration.name,
        migration.checksum,
        `flagroute ${packageVersion()} on ${hostname()}, process ${process.pid}`,
      ],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    const failure = storeErrorOf(error, target, 'STORE_SCHEMA_MISMATCH');
    throw new StoreError(
      failure.code,
      `migration ${migration.version} (${migration.name}) was not applied: ${failure.message}`,
      failure.reason,
    );
  }
}

/** Options of {@link migrateStore}. */
export interface MigrateStoreOptions {
  /** The store: `postgres://user:password@host:5432/database`. */
  url: string;
  /** Give up connecting after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** What the server shows in `pg_stat_activity` (unless the URL's `application_name` says). */
  applicationName?: string;
  /** Where the URL came from, for errors (`--store`, `FLAGROUTE_STORE`). Default `store URL`. */
  source?: string;
  lockTimeoutMs?: number;
  logger?: Logger;
}

/**
 * `flagroute store migrate`: connects to a PostgreSQL store and brings its schema up to date
 * ({@link migrateSchema}). Errors are `StoreError`s with codes (`INVALID_STORE_URL`,
 * `STORE_UNAVAILABLE`, `STORE_ACCESS_DENIED`, `STORE_SCHEMA_MISMATCH`), never with the password.
 */
export async function migrateStore(options: MigrateStoreOptions): Promise<MigrationReport> {
  const target = parsePostgresUrl(options.url, options.source ?? 'store URL');
  const client = await connectPostgres(target, options);
  try {
    return await migrateSchema(client, target, {
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  } finally {
    await client.end().catch(() => {});
  }
}
