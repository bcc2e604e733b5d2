import { describe, expect, it } from 'vitest';
import { withExplicitSslMode } from '../../src/postgres/connection.js';
import { REPO_DIR } from '../helpers/config-dir.js';
import { freePort } from '../helpers/free-port.js';
import { runCli } from '../helpers/run-cli.js';

/** The fleet's flags are checked before anything is read or written (no store is needed for that). */
describe('the fleet flags of the CLI', () => {
  it('refuses a --wait, --stale-after or --heartbeat that is not a duration within its bounds, naming the flag', async () => {
    for (const [args, flag] of [
      [['rollback', '--wait', 'soon'], '--wait'],
      [['rollback', '--wait', '2m'], '--wait'],
      [['rollout', 'plan', 'start', '--reason', 'go', '--wait', '1h'], '--wait'],
      [['rollout', 'resume', '--stale-after', '0'], '--stale-after'],
      [['fleet', 'status', '--stale-after', '-1s'], '--stale-after'],
      [['serve', '--heartbeat', '2h'], '--heartbeat'],
    ] as const) {
      const run = await runCli([...args, '--config-dir', REPO_DIR]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`${flag} must be (0 or )?a duration `));
    }
  });

  it("waits at most 1m for others to apply a change, as the HTTP API's waitMs", async () => {
    for (const args of [
      ['rollback', '--reason', 'x', '--wait', '61s'],
      ['rollout', 'set', '20', '--reason', 'x', '--wait', '2m'],
      ['rollout', 'plan', 'start', '--reason', 'go', '--wait', '1h'],
    ]) {
      const run = await runCli([...args, '--config-dir', REPO_DIR]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toBe(
        `error: --wait must be 0 or a duration of at most 1m such as 250ms, 2s or 30s (a whole number of ms, s, m, h or d), got "${args.at(-1)}"\n`,
      );
    }
  });

  it('fleet status needs a store; serve --heartbeat needs one too', async () => {
    const status = await runCli(['fleet', 'status']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(
      /status needs a store: --store postgres:\/\/.*, or FLAGROUTE_STORE/,
    );
    const serve = await runCli([
      'serve',
      '--heartbeat',
      '1s',
      '--port',
      '0',
      '--config-dir',
      REPO_DIR,
    ]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('--heartbeat needs --store');
  });

  it('a bare --store reads FLAGROUTE_STORE, as docs/fleet.md writes serve --store; without the variable it says so', async () => {
    // Nothing listens on port 1: the refusal names the database the variable points to.
    const env = { FLAGROUTE_STORE: 'postgres://app:secret@127.0.0.1:1/from_variable' };
    for (const args of [
      ['fleet', 'status', '--store'],
      ['store', 'migrate', '--store'],
      ['rollout', 'plan', 'status', '--store', '--config-dir', REPO_DIR],
      ['experiment', 'report', '--store', '--env', 'production'],
    ]) {
      const run = await runCli(args, { env });
      expect(run.stderr, args.join(' ')).toContain(
        'PostgreSQL database "from_variable" on 127.0.0.1:1 as "app": connection refused',
      );
      expect(run.stderr, args.join(' ')).not.toContain('secret');
      expect(run.code, args.join(' ')).not.toBe(0);
    }
    const unset = await runCli(['fleet', 'status', '--store']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('--store without a URL reads FLAGROUTE_STORE, which is not set');
    // Before the command's argument, a bare --store would take it for its URL: said so.
    const before = await runCli(['rollout', 'plan', '--store', 'status'], { env });
    expect(before.code).toBe(2);
    expect(before.stderr).toContain(
      "a bare --store, for FLAGROUTE_STORE's, takes the next word as its URL: put it after the command's arguments",
    );
  });

  it('takes sslmode=require as node-postgres does (verify-full) without its SECURITY WARNING on every command', async () => {
    const port = await freePort();
    const run = await runCli([
      'fleet',
      'status',
      '--store',
      `postgres://app@127.0.0.1:${port}/flagroute?sslmode=require`,
      '--env',
      'staging',
    ]);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain('connection refused');
    expect(run.stderr).not.toContain('SECURITY WARNING');
    expect(withExplicitSslMode('postgres://h/d?sslmode=require&x=1')).toBe(
      'postgres://h/d?sslmode=verify-full&x=1',
    );
    // Asked for libpq's meaning, the URL is node-postgres's to read as it is.
    const libpq = 'postgres://h/d?uselibpqcompat=true&sslmode=require';
    expect(withExplicitSslMode(libpq)).toBe(libpq);
  });
});
