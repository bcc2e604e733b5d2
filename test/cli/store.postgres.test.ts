import { expect, it } from 'vitest';
import { readMigrations } from '../../src/postgres/index.js';
import { serveInstance } from '../helpers/fleet.js';
import { freePort } from '../helpers/free-port.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';

const EXIT_STORE_UNAVAILABLE = 4;
const EXIT_SCHEMA_MISMATCH = 5;
const MIGRATIONS = readMigrations();
const NEWEST = MIGRATIONS.length;
/** What a run that applies every migration says it applied. */
const APPLIED_ALL = `(applied ${MIGRATIONS.map((m) => `${m.version} ${m.name}`).join(', ')})`;

/** The password of a URL, which no output may show. */
function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

function expectNoSecret(output: { stdout: string; stderr: string }, url: string): void {
  expect(output.stdout + output.stderr).not.toContain(passwordOf(url));
}

describePostgres('flagroute store migrate', () => {
  const postgres = usePostgres();

  it('creates the schema, then finds it up to date (the URL from --store, then FLAGROUTE_STORE)', async () => {
    const url = await postgres().createDatabase();
    const database = new URL(url).pathname.slice(1);
    const first = await runCli(['store', 'migrate', '--store', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      `PostgreSQL database "${database}" on 127.0.0.1:${postgres().port} as "${database}": flagroute schema 0 -> ${NEWEST} ${APPLIED_ALL}\n`,
    );
    const again = await runCli(['store', 'migrate'], { env: { FLAGROUTE_STORE: url } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(`: flagroute schema at version ${NEWEST}, up to date\\n$`),
    );
    expectNoSecret(first, url);
    expectNoSecret(again, url);
  });

  it('is safe run by several processes at once: one applies, the others find it done', async () => {
    const url = await postgres().createDatabase();
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        runCli(['store', 'migrate'], { env: { FLAGROUTE_STORE: url } }),
      ),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(runs.filter((run) => run.stdout.includes(APPLIED_ALL))).toHaveLength(1);
    expect(runs.filter((run) => run.stdout.includes('up to date'))).toHaveLength(3);
  }, 60_000); // four CLI processes at once on a machine of two cores

  it('refuses a schema newer than it knows, with its own exit code', async () => {
    const server = postgres();
    const url = await server.createDatabase();
    expect((await runCli(['store', 'migrate', '--store', url])).code).toBe(0);
    await server.query(
      "INSERT INTO flagroute.schema_migrations (version, name, checksum, applied_by) VALUES ($1, 'later', 'x', 'a newer flagroute')",
      [NEWEST + 1],
      new URL(url).pathname.slice(1),
    );
    const refused = await runCli(['store', 'migrate', '--store', url]);
    expect(refused.code).toBe(EXIT_SCHEMA_MISMATCH);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error: PostgreSQL database ".+" on 127\\.0\\.0\\.1:\\d+ as ".+": the flagroute schema is at version ${NEWEST + 1}, newer than this flagroute \\(\\d+\\.\\d+\\.\\d+\\) knows \\(up to ${NEWEST}\\); run a flagroute at least as new as the one that migrated it, or use another database\\n$`,
      ),
    );
    expectNoSecret(refused, url);
  });

  it('refuses a wrong password (exit 1) and an unreachable server (exit 4), never showing the password', async () => {
    const url = new URL(await postgres().createDatabase());
    url.password = 'wrong-password';
    const denied = await runCli(['store', 'migrate', '--store', url.href]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('password authentication failed');
    expectNoSecret(denied, url.href);

    url.port = String(await freePort());
    const unreachable = await runCli(['store', 'migrate'], { env: { FLAGROUTE_STORE: url.href } });
    expect(unreachable.code).toBe(EXIT_STORE_UNAVAILABLE);
    expect(unreachable.stderr).toContain('connection refused; is PostgreSQL running');
    expectNoSecret(unreachable, url.href);
  });

  it('refuses a malformed URL or none at all as a usage error, naming where it came from', async () => {
    const notUrl = await runCli(['store', 'migrate', '--store', 'app:hunter2@db/flagroute']);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toBe(
      "error: --store is not a URL (its value is not shown: it may hold a password); expected postgres://user:password@host:5432/database (a bare --store, for FLAGROUTE_STORE's, takes the next word as its URL: put it after the command's arguments)\n",
    );
    // The variable's value is not a URL (a colon missing): the variable is named, not --store.
    const variable = await runCli(['store', 'migrate'], {
      env: { FLAGROUTE_STORE: 'postgres//app:hunter2@db/flagroute' },
    });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain(
      'FLAGROUTE_STORE is not a URL (its value is not shown: it may hold a password); expected postgres://user:password@host:5432/database',
    );
    expect(variable.stderr).not.toContain('--store');
    const mysql = await runCli(['store', 'migrate'], {
      env: { FLAGROUTE_STORE: 'mysql://app:hunter2@db/flagroute' },
    });
    expect(mysql.code).toBe(2);
    expect(mysql.stderr).toContain('FLAGROUTE_STORE must be a postgres:// or postgresql:// URL');
    for (const run of [notUrl, variable, mysql]) expect(run.stderr).not.toContain('hunter2');

    const none = await runCli(['store', 'migrate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('migrate needs a store: --store postgres://');
  });

  it('serve --store with a password in the URL warns once, without it; from FLAGROUTE_STORE it does not', async () => {
    const url = await postgres().createDatabase();
    const named = await serveInstance(url, { args: ['--store', url] });
    const quiet = await serveInstance(url);
    const warning = 'the store URL after --store holds a password';
    expect(named.output().split(warning)).toHaveLength(2);
    expect(named.output()).toContain('FLAGROUTE_STORE');
    expect(named.output()).not.toContain(passwordOf(url));
    expect(quiet.output()).not.toContain(warning);
  });
});
