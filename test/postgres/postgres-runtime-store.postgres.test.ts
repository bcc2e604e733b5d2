import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import {
  PostgresRuntimeStore,
  type PostgresRuntimeStoreOptions,
  readMigrations,
} from '../../src/postgres/index.js';
import type { KillSwitch } from '../../src/rollout-layers/index.js';
import type { RuntimeStore, StoreChange } from '../../src/runtime-store/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { capturingLogger } from '../helpers/silent-logger.js';
import { runtimeStoreConformance } from '../runtime-store/runtime-store-conformance.js';

/** How long a condition of real processes may take to come true on a loaded machine. */
const DEADLINE_MS = 30_000;

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function pager(reason: string): KillSwitch {
  return { trigger: 'manual', reason, at: new Date().toISOString(), previousPercentage: 20 };
}

describePostgres('PostgresRuntimeStore', () => {
  const postgres = usePostgres();
  /** The database each store opened by the suite is on. */
  const urls = new WeakMap<RuntimeStore, string>();
  const open = async (url: string, options: Partial<PostgresRuntimeStoreOptions> = {}) => {
    const store = await PostgresRuntimeStore.open({ url, environment: 'development', ...options });
    urls.set(store, url);
    return store;
  };
  /** A store for one test, closed after it. */
  const opened = async (url: string, options: Partial<PostgresRuntimeStoreOptions> = {}) => {
    const store = await open(url, options);
    onTestEnd(() => store.close());
    return store;
  };
  const databaseOf = (url: string) => new URL(url).pathname.slice(1);
  /** Collects what a subscription hears; `heard(kill switch reason)` says whether it heard it. */
  const listen = (store: RuntimeStore) => {
    const changes: StoreChange[] = [];
    onTestEnd(async () => stop());
    const stop = store.subscribe((change) => changes.push(change));
    return (reason: string) =>
      changes.some(
        (change) => change.kind === 'runtime' && change.state.killSwitch?.reason === reason,
      );
  };

  describe('the runtime store conformance suite', () => {
    runtimeStoreConformance({
      open: async () => open(await postgres().createDatabase()),
      openSame: (store) => open(urls.get(store)!),
    });
  });

  it('repairs a notification that never came with its poll', async () => {
    const url = await postgres().createDatabase();
    const writer = await opened(url);
    const reader = await opened(url, { pollMs: 200 });
    const heard = listen(reader);
    await until(() => reader.watching, 'the subscription to start');
    // No notification for runtime changes from now on: only the poll can tell the reader.
    await postgres().query(
      'ALTER TABLE flagroute.runtime_state DISABLE TRIGGER runtime_state_announce',
      [],
      databaseOf(url),
    );
    await writer.updateRuntime({ killSwitch: pager('silent') });
    await until(() => heard('silent'), 'the poll to find the kill switch');
  });

  it('listens again after losing its session, and hears the next change at once', async () => {
    const url = await postgres().createDatabase();
    const writer = await opened(url);
    // A poll too slow to matter here: only the notification can deliver in time.
    const reader = await opened(url, { pollMs: 3_600_000 });
    const heard = listen(reader);
    await until(() => reader.watching, 'the subscription to start');
    const killed = await postgres().query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
        WHERE application_name = 'flagroute listener' AND datname = $1`,
      [databaseOf(url)],
    );
    expect(killed).toEqual([{ killed: true }]);
    await until(async () => {
      await writer.updateRuntime({ killSwitch: null });
      await writer.updateRuntime({ killSwitch: pager('after the loss') });
      return heard('after the loss');
    }, 'the kill switch, heard through a new session');
  });

  it('refuses to open a schema newer than it knows, touching nothing', async () => {
    const url = await postgres().createDatabase();
    await (await open(url)).close();
    const newer = readMigrations().length + 1;
    await postgres().query(
      "INSERT INTO flagroute.schema_migrations (version, name, checksum, applied_by) VALUES ($1, 'later', 'x', 'a newer flagroute')",
      [newer],
      databaseOf(url),
    );
    const refused = await open(url).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('STORE_SCHEMA_MISMATCH');
    expect((refused as StoreError).message).toContain(`at version ${newer}, newer than`);
  });

  it('survives the database going away: reads fail as unavailable, the subscription recovers', async () => {
    const server = postgres();
    const url = await server.createDatabase();
    const reader = await opened(url, { pollMs: 200 });
    const heard = listen(reader);
    await until(() => reader.watching, 'the subscription to start');
    await server.stop('fast');
    try {
      const failure = await reader.readRuntime().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as StoreError).code).toBe('STORE_UNAVAILABLE');
      await until(() => reader.watchError !== undefined, 'the subscription to notice');
    } finally {
      await server.start();
    }
    const writer = await opened(url);
    await writer.updateRuntime({ killSwitch: pager('back') });
    await until(() => heard('back'), 'the kill switch after the database came back');
    expect(reader.watchError).toBeUndefined();
  });

  it('notices a hung database: a statement fails past its deadline, the store is degraded, then recovers', async () => {
    const server = postgres();
    const url = await server.createDatabase();
    const { logger, lines } = capturingLogger();
    const reader = await opened(url, {
      pollMs: 100,
      queryTimeoutMs: 1_000,
      connectTimeoutMs: 2_000,
      logger,
    });
    const heard = listen(reader);
    await until(() => reader.watching, 'the subscription to start');
    expect(reader.health().status).toBe('ok');
    const resume = await server.freeze();
    try {
      await until(() => reader.health().status === 'degraded', 'a look to fail past its deadline');
      expect(reader.health()).toMatchObject({ reason: 'STORE_UNAVAILABLE' });
      // A write (what an HTTP rollback does) fails in bounded time instead of hanging.
      let settled: unknown;
      reader.updateRuntime({ killSwitch: pager('hung') }).then(
        () => (settled = 'written'),
        (error: unknown) => (settled = error),
      );
      await until(() => settled !== undefined, 'the write to the hung database to fail');
      expect(settled).toBeInstanceOf(StoreError);
      expect((settled as StoreError).code).toBe('STORE_UNAVAILABLE');
      await until(() => reader.health().failures >= 3, 'the looks to go on failing');
    } finally {
      resume();
    }
    await until(() => reader.health().status === 'ok', 'the store to be read again');
    expect(reader.health().failures).toBeGreaterThan(0);
    // Losing and regaining the store is logged once each, however many looks failed between,
    // naming the store without its password.
    const said = lines.map((line) => String(line.msg));
    expect(said.filter((msg) => msg.startsWith('the runtime store cannot be read ('))).toHaveLength(
      1,
    );
    expect(said.filter((msg) => msg.startsWith('the runtime store is read again'))).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(new URL(url).password);
    expect(JSON.stringify(lines)).toContain(`on 127.0.0.1:${new URL(url).port}`);
    const writer = await opened(url);
    await writer.updateRuntime({ killSwitch: pager('back') });
    await until(() => heard('back'), 'the kill switch after the database came back');
  });
});
