import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/serve.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
// Three candidate failures open the breaker; the breaker trigger and the error-rate trigger
// would both write a rollback: block to this file.
const BODY = `rollout_percentage: 100
enable_circuit_breaker: true
circuit_breaker_threshold: 3
circuit_breaker_recovery_timeout: 300
rollback_triggers:
  enabled: true
  on_circuit_breaker_open: true
  error_rate: 0.05
  min_samples: 5
  persist: true
`;
const ADMIN_TOKEN = 'admin-token-of-the-tests';

async function setUp(options: { ingestToken?: string; anonymousOutcomes?: boolean }) {
  const temp = await tempConfigDir({ [ENV]: BODY });
  const server = await testServer({
    configDir: temp.dir,
    watch: false,
    adminToken: ADMIN_TOKEN,
    ...options,
  });
  const file = join(temp.dir, ENV);
  return { server, file, before: await readFile(file, 'utf8') };
}

/** Decision ids an attacker can fetch: OFREP evaluation and /v1/decide are open. */
async function decisionIds(server: RunningServer, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const ofrep = await post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
      context: { targetingKey: `victim-${i}` },
    });
    ids.push((ofrep.body as { metadata: { decisionId: string } }).metadata.decisionId);
    const native = await post(`${server.url}/v1/decide`, { userId: `other-${i}` });
    ids.push((native.body as { decisionId: string }).decisionId);
  }
  return ids;
}

/** Tied (by decision id) and untied failures of the candidate, posted with `headers`. */
async function hostileOutcomes(server: RunningServer, headers: Record<string, string> = {}) {
  const statuses: number[] = [];
  for (const decisionId of await decisionIds(server, 3)) {
    statuses.push(
      (await post(`${server.url}/v1/outcomes`, { decisionId, success: false }, headers)).status,
    );
  }
  const untied = Array.from({ length: 6 }, () => ({ backend: 'lightrag', success: false }));
  statuses.push((await post(`${server.url}/v1/outcomes`, untied, headers)).status);
  for (let i = 0; i < 3; i += 1) {
    const one = { backend: 'lightrag', cohort: 'lightrag', success: false, latencyMs: 1 };
    statuses.push((await post(`${server.url}/v1/outcomes`, one, headers)).status);
  }
  return statuses;
}

function nextRollback(server: RunningServer) {
  return new Promise<{ persisted: boolean }>((resolve) => server.router.on('rollback', resolve));
}

describe('outcomes over HTTP need their own credential (FLAGROUTE_INGEST_TOKEN)', () => {
  it('without a token and without the opt-in, every outcome is refused (403) and nothing changes', async () => {
    const { server, file, before } = await setUp({});
    const statuses = await hostileOutcomes(server);
    expect(new Set(statuses)).toEqual(new Set([403]));
    const refused = await post(`${server.url}/v1/outcomes`, {
      backend: 'lightrag',
      success: false,
    });
    expect(refused.body).toEqual({
      errorCode: 'FORBIDDEN',
      errorDetails: expect.stringContaining('FLAGROUTE_INGEST_TOKEN'),
    });
    // The admin token is not an ingest token.
    const admin = await hostileOutcomes(server, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(new Set(admin)).toEqual(new Set([403]));
    expect(server.router.getPerformanceSummary().circuit_breaker.state).toBe('closed');
    expect(server.router.settings.rollout_percentage).toBe(100);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('with a token: refused without it (401), with a wrong one or the admin token (403); accepted with it, as before', async () => {
    const { server, file, before } = await setUp({ ingestToken: INGEST_TOKEN });
    expect(new Set(await hostileOutcomes(server))).toEqual(new Set([401]));
    for (const token of ['wrong', ADMIN_TOKEN, `${INGEST_TOKEN}x`]) {
      const statuses = await hostileOutcomes(server, { authorization: `Bearer ${token}` });
      expect(new Set(statuses)).toEqual(new Set([403]));
    }
    const refused = await post(`${server.url}/v1/outcomes`, { backend: 'lightrag', success: true });
    expect(JSON.stringify(refused.body)).not.toContain(INGEST_TOKEN);
    expect(server.router.getPerformanceSummary().circuit_breaker.total_requests).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(before);

    // The holder of the token: the breaker opens and its trigger persists the kill switch.
    const rolledBack = nextRollback(server);
    const [decisionId] = await decisionIds(server, 1);
    const tied = await postOutcomes(`${server.url}/v1/outcomes`, { decisionId, success: false });
    expect(tied).toMatchObject({ status: 200, body: { recorded: 1 } });
    const untied = Array.from({ length: 2 }, () => ({ backend: 'lightrag', success: false }));
    expect((await postOutcomes(`${server.url}/v1/outcomes`, untied)).status).toBe(200);
    expect(await rolledBack).toMatchObject({ persisted: true });
    expect(await readFile(file, 'utf8')).toMatch(/^rollback:/m);
  });

  it('anonymous outcomes (the opt-in) open the breaker in this process, but never write the kill switch', async () => {
    const { server, file, before } = await setUp({ anonymousOutcomes: true });
    const rolledBack = nextRollback(server);
    const statuses = await hostileOutcomes(server);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(await rolledBack).toMatchObject({ persisted: false });
    expect(server.router.getPerformanceSummary().circuit_breaker.state).toBe('open');
    expect(server.router.settings.rollout_percentage).toBe(0);
    expect(server.router.status().rollback).toMatchObject({ persisted: false });
    expect(await readFile(file, 'utf8')).toBe(before);

    // The process stays tainted: a trusted in-process outcome later does not persist either.
    await server.router.resumeRollout({ reason: 'test' });
    server.router.resetCircuitBreaker();
    const again = nextRollback(server);
    for (let i = 0; i < 3; i += 1) {
      server.router.recordOutcome({ backend: 'lightrag', cohort: 'lightrag' }, { success: false });
    }
    expect(await again).toMatchObject({ persisted: false });
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses an ingest token equal to the admin token, and a token with the opt-in', async () => {
    const temp = await tempConfigDir({ [ENV]: BODY });
    await expect(
      testServer({ configDir: temp.dir, watch: false, adminToken: 'same', ingestToken: 'same' }),
    ).rejects.toThrow(/FLAGROUTE_INGEST_TOKEN must differ from FLAGROUTE_ADMIN_TOKEN/);
    await expect(
      testServer({
        configDir: temp.dir,
        watch: false,
        ingestToken: INGEST_TOKEN,
        anonymousOutcomes: true,
      }),
    ).rejects.toThrow(/leave out --anonymous-outcomes/);
  });
});

/** Starts the real `flagroute serve`; resolves with its URL and everything it has printed. */
async function startServe(args: string[], env: Record<string, string>) {
  const temp = await tempConfigDir({ [ENV]: BODY });
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const key of Object.keys(childEnv)) {
    if (key.startsWith('LIGHTRAG_') || (key.startsWith('FLAGROUTE_') && !(key in env)))
      delete childEnv[key];
  }
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--config-dir', temp.dir, ...args],
    { env: childEnv },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  onTestEnd(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', look);
    void exited.then((code) => reject(new Error(`serve exited early with ${code}: ${output}`)));
  });
  return { url, output: () => output, file: join(temp.dir, ENV) };
}

/** Polls `read` until it matches `pattern` (the log is written asynchronously). */
async function waitFor(read: () => string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(read())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in: ${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return read();
}

describe('flagroute serve warns at start about how it takes outcomes', () => {
  it('with FLAGROUTE_INGEST_TOKEN: outcomes need it, and the token is never printed', async () => {
    const token = 'a-secret-ingest-token-0123456789';
    const serve = await startServe([], { FLAGROUTE_INGEST_TOKEN: token });
    await waitFor(serve.output, /outcomes over HTTP \(POST \/v1\/outcomes\) need the ingest token/);
    const one = { backend: 'lightrag', success: true, latencyMs: 10 };
    expect((await post(`${serve.url}/v1/outcomes`, one)).status).toBe(401);
    const accepted = await post(`${serve.url}/v1/outcomes`, one, {
      authorization: `Bearer ${token}`,
    });
    expect(accepted).toMatchObject({ status: 200, body: { recorded: 1 } });
    expect(serve.output()).not.toContain(token);
  });

  it('without a token: outcomes are refused, and it says how to take them', async () => {
    const serve = await startServe([], {});
    await waitFor(serve.output, /outcomes over HTTP \(POST \/v1\/outcomes\) are refused/);
    const before = await readFile(serve.file, 'utf8');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push(
        (await post(`${serve.url}/v1/outcomes`, { backend: 'lightrag', success: false })).status,
      );
    }
    expect(statuses).toEqual([403, 403, 403, 403]);
    expect(await readFile(serve.file, 'utf8')).toBe(before);
  });

  it('with --anonymous-outcomes: anyone may post, and rollbacks stay in the process', async () => {
    const serve = await startServe(['--anonymous-outcomes'], {});
    await waitFor(
      serve.output,
      /anonymous outcomes \(--anonymous-outcomes\): anyone who can reach/,
    );
    const before = await readFile(serve.file, 'utf8');
    for (let i = 0; i < 3; i += 1) {
      const response = await post(`${serve.url}/v1/outcomes`, {
        backend: 'lightrag',
        success: false,
      });
      expect(response.status).toBe(200);
    }
    await waitFor(serve.output, /kept in this process only/);
    const status = (await fetch(`${serve.url}/v1/status`).then((r) => r.json())) as {
      rollback: { persisted: boolean };
    };
    expect(status.rollback).toMatchObject({ persisted: false });
    expect(await readFile(serve.file, 'utf8')).toBe(before);
  });

  it('refuses --anonymous-outcomes with --events-dir or --controller (exit 2)', async () => {
    for (const extra of [['--events-dir', 'events'], ['--controller']]) {
      const result = await runCli(['serve', '--port', '0', '--anonymous-outcomes', ...extra]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--anonymous-outcomes cannot go with ${extra[0]}`);
    }
  });
});
