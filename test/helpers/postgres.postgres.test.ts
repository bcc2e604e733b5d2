import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { onTestEnd } from './cleanup.js';
import { REPO_DIR } from './config-dir.js';
import { osUser, runningAsRoot } from './os-users.js';
import { describePostgres, startPostgres, usePostgres } from './postgres.js';
import { POSTGRES_OS_USER, postgresBinDir } from './postgres-install.js';
import { finished } from './run-cli.js';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-harness-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The real uid of a running process, from /proc. */
async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

async function postmasterPid(dir: string): Promise<number> {
  return Number((await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** Whether a process runs (a zombie, left for a parent that does not reap, does not). */
async function alive(pid: number): Promise<boolean> {
  try {
    return !/^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onTestEnd(() => client.end());
  return client;
}

describe('postgresBinDir', () => {
  it('finds the newest major version that has the tools, numerically', async () => {
    const root = await tempDir();
    for (const [version, tools] of [
      ['9.6', ['initdb', 'pg_ctl', 'pg_isready']],
      ['15', ['initdb', 'pg_ctl', 'pg_isready']],
      ['16', ['initdb', 'pg_ctl', 'pg_isready']],
      ['17', ['pg_ctl']], // a client-only install: no server
      ['extension-data', ['initdb', 'pg_ctl', 'pg_isready']],
    ] as const) {
      await mkdir(join(root, version, 'bin'), { recursive: true });
      for (const tool of tools) await writeFile(join(root, version, 'bin', tool), '');
    }
    expect(postgresBinDir(root)).toBe(join(root, '16', 'bin'));
  });

  it('finds nothing where PostgreSQL is not installed, and starting says what to install', async () => {
    const root = join(await tempDir(), 'missing');
    expect(postgresBinDir(root)).toBeUndefined();
    await expect(startPostgres({ root })).rejects.toThrow(".ci/run installs Debian's postgresql");
  });

  // A child vitest on a file that needs PostgreSQL, with no PostgreSQL to find.
  const runFixture = (env: Record<string, string>) => {
    const childEnv: Record<string, string | undefined> = {
      ...process.env,
      FLAGROUTE_TEST_POSTGRES_ROOT: '/nonexistent/postgresql',
      ...env,
    };
    if (!('CI' in env)) delete childEnv.CI;
    return finished(
      spawn(
        process.execPath,
        [
          join(REPO_DIR, 'node_modules', 'vitest', 'vitest.mjs'),
          'run',
          '--config',
          join(REPO_DIR, 'test', 'fixtures', 'postgres-harness', 'vitest.config.ts'),
        ],
        { cwd: REPO_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
  };

  it('with CI=true a missing server fails the file that needs it', async () => {
    const { code, output } = await runFixture({ CI: 'true' });
    expect(code).toBe(1);
    expect(output).toContain(".ci/run installs Debian's postgresql");
  });

  it('without CI a missing server skips that file', async () => {
    const { code, output } = await runFixture({});
    expect(code, output).toBe(0);
    expect(output).toMatch(/1 skipped/);
  });
});

describePostgres('a test cluster', () => {
  const postgres = usePostgres();

  it('runs on a free loopback port, not 5432, with its data and socket in its own temp dir', async () => {
    const server = postgres();
    expect(server.port).toBeGreaterThan(0);
    expect(server.port).not.toBe(5432);
    const client = await connect(server.superuserUrl());
    const setting = async (name: string) =>
      (await client.query<{ value: string }>(`SELECT current_setting($1) AS value`, [name]))
        .rows[0]!.value;
    expect(await setting('port')).toBe(String(server.port));
    expect(await setting('listen_addresses')).toBe('127.0.0.1');
    expect(await setting('unix_socket_directories')).toBe(server.socketDir);
    expect(await setting('data_directory')).toBe(join(server.dir, 'data'));
    expect(server.socketDir.startsWith(server.dir)).toBe(true);
    expect(existsSync(join(server.socketDir, `.s.PGSQL.${server.port}`))).toBe(true);
    expect(Math.floor(Number(await setting('server_version_num')) / 10_000)).toBe(server.version);
  });

  it.runIf(runningAsRoot)(
    'runs as the unprivileged postgres user, in a directory that user owns',
    async () => {
      const server = postgres();
      const owner = osUser(POSTGRES_OS_USER)!;
      expect(owner.uid).not.toBe(0);
      expect((await stat(server.dir)).uid).toBe(owner.uid);
      expect((await stat(join(server.dir, 'data'))).uid).toBe(owner.uid);
      expect(await uidOf(await postmasterPid(server.dir))).toBe(owner.uid);
    },
  );

  it('gives each test its own database, owned by a role that is no superuser', async () => {
    const server = postgres();
    const [first, second] = [await server.createDatabase(), await server.createDatabase()];
    expect(first).not.toBe(second);
    const one = await connect(first);
    const two = await connect(second);
    const who = await one.query<{ user: string; superuser: boolean; database: string }>(
      'SELECT current_user AS user, rolsuper AS superuser, current_database() AS database FROM pg_roles WHERE rolname = current_user',
    );
    expect(who.rows[0]!.superuser).toBe(false);
    expect(who.rows[0]!.database).toBe(who.rows[0]!.user);
    await one.query('CREATE TABLE only_here (id int)');
    const there = await two.query("SELECT to_regclass('only_here') AS found");
    expect(there.rows[0]!.found).toBeNull();
  });

  it('refuses a login over TCP with a wrong password', async () => {
    const url = new URL(await postgres().createDatabase());
    url.password = 'wrong';
    const client = new pg.Client({ connectionString: url.href });
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('stops and starts again on the same port, keeping its data', async () => {
    const server = postgres();
    const url = await server.createDatabase();
    const before = await connect(url);
    await before.query('CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$still here$$)');
    before.on('error', () => {}); // the server ends this session when it stops
    const port = server.port;

    await server.stop();
    expect(server.running).toBe(false);
    expect(await server.isAccepting()).toBe(false);
    await expect(new pg.Client({ connectionString: url }).connect()).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });

    await server.start();
    expect(server.port).toBe(port);
    expect(await server.isAccepting()).toBe(true);
    const after = await connect(url);
    expect((await after.query('SELECT value FROM kept')).rows).toEqual([{ value: 'still here' }]);
  });

  it('comes back after a crash (immediate stop), as a real server does', async () => {
    const server = postgres();
    const url = await server.createDatabase();
    const first = await connect(url);
    first.on('error', () => {});
    await first.query('CREATE TABLE committed (id int); INSERT INTO committed VALUES (1)');
    await server.stop('immediate');
    await server.start();
    const again = await connect(url);
    expect((await again.query('SELECT id FROM committed')).rows).toEqual([{ id: 1 }]);
  });

  it('destroy stops the server and removes its directory', async () => {
    const server = await startPostgres();
    const pid = await postmasterPid(server.dir);
    expect(await alive(pid)).toBe(true);
    await server.destroy();
    expect(existsSync(server.dir)).toBe(false);
    expect(await alive(pid)).toBe(false);
  });
});
