import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertOfrep } from '../helpers/ofrep-schema.js';
import { CLI } from '../helpers/run-cli.js';
import { routerIn } from '../helpers/test-router.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const BODY = `rollout_percentage: 100
circuit_breaker_threshold: 1
circuit_breaker_recovery_timeout: 1
rollback_triggers: {enabled: false}
`;

async function setUp(adminToken?: string) {
  const temp = await tempConfigDir({ [ENV]: BODY });
  const clock = new FakeClock();
  const server = await testServer({
    configDir: temp.dir,
    watch: false,
    adminToken,
    clock,
    ingestToken: INGEST_TOKEN,
  });
  return { server, dir: temp.dir, clock };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read as plain JSON in assertions
type Json = any;

const get = async (url: string): Promise<{ status: number; body: Json }> => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

describe('the native API', () => {
  it('decides with an id that ties the outcome to its cohort', async () => {
    const { server } = await setUp();
    const decided = await post(`${server.url}/v1/decide`, { userId: 'alice' });
    expect(decided.status).toBe(200);
    const decision = decided.body as { decisionId: string; backend: string; cohort: string };
    expect(decision).toMatchObject({
      backend: 'lightrag',
      cohort: 'lightrag',
      decisionId: expect.any(String),
    });
    const recorded = await postOutcomes(`${server.url}/v1/outcomes`, [
      { decisionId: decision.decisionId, success: true, latencyMs: 1200, quality: 0.9 },
      { backend: 'perplexity', success: true, latencyMs: 800 },
    ]);
    expect(recorded).toMatchObject({ status: 200, body: { recorded: 2 } });
    const summary = (await get(`${server.url}/v1/summary`)).body;
    expect(summary.cohorts.lightrag.success_count).toBe(1);
    expect(summary.performance.perplexity.success_count).toBe(1);
    const explained = await post(`${server.url}/v1/explain`, { userId: 'alice' });
    expect((explained.body as { steps: unknown[] }).steps.length).toBeGreaterThan(3);
  });

  it('takes one outcome per decision id: a repeat, in a later post or the same batch, is refused', async () => {
    const { server } = await setUp();
    const { decisionId } = (await post(`${server.url}/v1/decide`, { userId: 'alice' })).body as {
      decisionId: string;
    };
    const twice = await postOutcomes(`${server.url}/v1/outcomes`, [
      { decisionId, success: true },
      { decisionId, success: true },
    ]);
    expect(twice.status).toBe(400);
    expect(JSON.stringify(twice.body)).toMatch(/appears twice in this batch/);
    expect(
      await postOutcomes(`${server.url}/v1/outcomes`, { decisionId, success: true }),
    ).toMatchObject({
      status: 200,
    });
    const again = await postOutcomes(`${server.url}/v1/outcomes`, { decisionId, success: true });
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toMatch(/already has its outcome/);
    expect((await get(`${server.url}/v1/summary`)).body.cohorts.lightrag.success_count).toBe(1);
  });

  it('GET /v1/experiment: the live report with options; bad options are 400 naming them', async () => {
    const { server } = await setUp();
    const report = await get(`${server.url}/v1/experiment?alpha=0.01&primary=success_rate`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      unit: 'request',
      alpha: 0.01,
      primary: 'success_rate',
      source: 'live',
      sequential: true,
      winner: null,
      reason: 'request_level_data',
    });
    expect(report.body.guardrails).not.toContain('success_rate');
    for (const [query, message] of [
      ['alpha=abc', 'alpha must be a number, got "abc"'],
      ['alpha=0.9', 'alpha must be above 0 and below 0.5, got 0.9'],
      ['primary=speed', 'primary must be one of'],
      ['sequential=maybe', 'sequential must be true or false'],
      ['alpha=0.1&alpha=0.2', 'alpha is given more than once; give it once'],
      ['unit=user', 'unit is not an option of /v1/experiment'],
    ]) {
      const refused = await get(`${server.url}/v1/experiment?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body.errorCode).toBe('INVALID_ARGUMENT');
      expect(refused.body.errorDetails).toContain(message);
    }
  });

  it('refuses a batch with any bad outcome, naming every problem, and records none', async () => {
    const { server } = await setUp();
    const response = await postOutcomes(`${server.url}/v1/outcomes`, [
      { backend: 'lightrag', success: true },
      { backend: 'gpt', success: true },
      { backend: 'lightrag', cohort: 'bogus', success: false },
      { decisionId: 'no-such-id', success: true },
      { backend: 'lightrag', success: 'yes', quality: 2 },
      { backend: 'lightrag', success: true, latency: 3 },
    ]);
    expect(response.status).toBe(400);
    const body = response.body as {
      errorCode: string;
      problems: { index: number; field: string }[];
    };
    expect(body.errorCode).toBe('INVALID_OUTCOME');
    expect(body.problems.map((problem) => [problem.index, problem.field])).toEqual([
      [1, 'decision.backend'],
      [2, 'decision.cohort'],
      [3, 'decisionId'],
      [4, 'outcome.success'],
      [5, 'outcome.latency'],
    ]);
    expect((await get(`${server.url}/v1/summary`)).body.circuit_breaker.total_requests).toBe(0);
  });

  it('a trial decision posted by id closes a half-open breaker; a stale one does not', async () => {
    const { server, clock } = await setUp();
    const stale = (await post(`${server.url}/v1/decide`, { userId: 'u1' })).body as {
      decisionId: string;
    };
    await postOutcomes(`${server.url}/v1/outcomes`, { backend: 'lightrag', success: false });
    expect((await get(`${server.url}/v1/summary`)).body.circuit_breaker.state).toBe('open');
    clock.advance(1_000);
    await postOutcomes(`${server.url}/v1/outcomes`, {
      decisionId: stale.decisionId,
      success: true,
    });
    expect((await get(`${server.url}/v1/summary`)).body.circuit_breaker.state).toBe('half_open');
    const trial = (await post(`${server.url}/v1/decide`, { userId: 'u2' })).body as {
      decisionId: string;
      breakerTrial: number;
    };
    expect(trial.breakerTrial).toEqual(expect.any(Number));
    await postOutcomes(`${server.url}/v1/outcomes`, {
      decisionId: trial.decisionId,
      success: true,
    });
    expect((await get(`${server.url}/v1/summary`)).body.circuit_breaker.state).toBe('closed');
  });

  it('hardening: JSON only, body limit, malformed JSON, unknown routes, no stack traces', async () => {
    const { server } = await setUp();
    const text = await post(`${server.url}/v1/decide`, 'userId=a', {
      'content-type': 'text/plain',
    });
    expect(text).toMatchObject({ status: 415, body: { errorCode: 'UNSUPPORTED_MEDIA_TYPE' } });
    const big = await post(`${server.url}/v1/decide`, {
      userId: 'a',
      queryText: 'x'.repeat(70_000),
    });
    expect(big).toMatchObject({ status: 413, body: { errorCode: 'PAYLOAD_TOO_LARGE' } });
    const broken = await post(`${server.url}/v1/decide`, '{"userId": ', {
      'content-type': 'application/json',
    });
    expect(broken).toMatchObject({ status: 400, body: { errorCode: 'PARSE_ERROR' } });
    const unknown = await post(`${server.url}/v2/nothing`, {});
    expect(unknown).toMatchObject({ status: 404, body: { errorCode: 'NOT_FOUND' } });
    const bad = await post(`${server.url}/v1/decide`, { userId: 'a', complexity: 2 });
    expect(bad).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
    expect(JSON.stringify(bad.body)).toContain('did you mean \\"queryComplexity\\"?');
    for (const response of [text, big, broken, unknown, bad]) {
      expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.(js|ts):\d+/);
    }
    const cors = await fetch(`${server.url}/healthz`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(cors.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('health and readiness: 503 with the reason while reloads fail', async () => {
    const { server, dir } = await setUp();
    expect(await get(`${server.url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get(`${server.url}/readyz`)).status).toBe(200);
    await writeFile(join(dir, ENV), 'rollout_percentage: 900\n');
    expect((await server.router.reload()).ok).toBe(false);
    const notReady = await get(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    // The reason by its code, key, place and what is allowed, in the schema's words; the
    // message quoting the value is the log's.
    const errors = (notReady.body as { errors: { message: string }[] }).errors;
    expect(errors).toContainEqual(
      expect.objectContaining({ code: 'SCHEMA', pointer: '/rollout_percentage', line: 1 }),
    );
    expect(errors[0]?.message).toMatch(/; allowed: .*100/);
    expect(JSON.stringify(errors)).not.toContain('900');
  });

  it('1,000 concurrent requests all succeed', async () => {
    const { server } = await setUp();
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, index) =>
        post(`${server.url}/ofrep/v1/evaluate/flags/backend`, {
          context: { targetingKey: `u${index}` },
        }),
      ),
    );
    expect(responses.filter((response) => response.status !== 200)).toEqual([]);
    for (const response of responses) assertOfrep('serverEvaluationSuccess', response.body);
  });
});

describe('the admin API', () => {
  it('is off without a token, 401 without a header, 403 when wrong, and persists like the CLI', async () => {
    const off = await setUp();
    expect((await post(`${off.server.url}/v1/rollback`, { reason: 'x' })).status).toBe(403);

    const { server, dir } = await setUp('s3cret-admin-token');
    const url = `${server.url}/v1/rollback`;
    expect((await post(url, { reason: 'x' })).status).toBe(401);
    expect((await post(url, { reason: 'x' }, { authorization: 'Bearer wrong' })).status).toBe(403);
    const auth = { authorization: 'Bearer s3cret-admin-token' };
    const done = await post(url, { reason: 'error spike' }, auth);
    expect(done).toMatchObject({
      status: 200,
      body: { rolloutPercentage: 0, rollback: { reason: 'error spike' } },
    });
    expect(await readFile(join(dir, ENV), 'utf8')).toContain('reason: error spike');
    const raised = await post(
      `${server.url}/v1/rollout`,
      { percentage: 30, reason: 'stage 2' },
      auth,
    );
    expect(raised).toMatchObject({ status: 200, body: { rolloutPercentage: 30 } });
    const invalid = await post(`${server.url}/v1/rollout`, { percentage: 300 }, auth);
    expect(invalid).toMatchObject({ status: 400, body: { errorCode: 'INVALID_ARGUMENT' } });
    const reset = await post(`${server.url}/v1/breaker/reset`, {}, auth);
    expect(reset).toMatchObject({ status: 200, body: { state: 'closed' } });
    for (const response of [done, raised, invalid, reset]) {
      expect(JSON.stringify(response.body)).not.toContain('s3cret-admin-token');
    }
  });
});

describe('shutting down', () => {
  it('closing lets a request already in flight finish, then stops', async () => {
    const { router } = await routerIn({ [ENV]: BODY });
    const app = createServer(router);
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    app.addHook('onRequest', async () => arrived());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const body = JSON.stringify({ userId: 'late' });
    const req = request(`http://127.0.0.1:${port}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    });
    const status = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 5)); // under way: headers sent, the body not yet complete
    await arrival;
    const closed = app.close();
    req.end(body.slice(5)); // the body completes only after closing began
    expect(await status).toBe(200);
    await closed;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('flagroute serve logs its URL and exits 0 on SIGTERM within 5 s', async () => {
    const temp = await tempConfigDir({ [ENV]: BODY });
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--config-dir', temp.dir], {
      env: { ...process.env, LIGHTRAG_LOG_LEVEL: 'warn' },
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /listening on (http:\/\/\S+)/.exec(chunk.toString());
        if (match) resolve(match[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    expect((await post(`${url}/v1/decide`, { userId: 'a' })).status).toBe(200);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.on('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const signalled = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(5_000);
  });
});
