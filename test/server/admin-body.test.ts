import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { routerIn } from '../helpers/test-router.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const ADMIN = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };

async function setUp() {
  const { router, dir } = await routerIn({ [ENV]: 'rollout_percentage: 10\n' });
  const server = createServer(router, { adminToken: 'admin-token' });
  const environment = () => readFile(join(dir, ENV), 'utf8');
  return { server, environment, router };
}

describe('an admin body with a key its route does not take', () => {
  it('is refused naming the key, with a did-you-mean and the fields allowed, and nothing changes', async () => {
    const { server, environment, router } = await setUp();
    const before = await environment();
    const cases: [string, Record<string, unknown>, string][] = [
      [
        '/v1/rollout',
        { percentage: 5, reason: 'x', percentag: 90 },
        '"percentag" is not a field of POST /v1/rollout (did you mean "percentage"?); the fields are percentage, reason, waitMs',
      ],
      [
        '/v1/rollout',
        { percentage: 5, reason: 'x', wait_ms: 10 },
        '"wait_ms" is not a field of POST /v1/rollout (did you mean "waitMs"?); the fields are percentage, reason, waitMs',
      ],
      [
        '/v1/rollback',
        { reason: 'x', percentage: 0 },
        '"percentage" is not a field of POST /v1/rollback; the fields are reason, waitMs',
      ],
      [
        '/v1/rollout/resume',
        { reason: 'x', force: true },
        '"force" is not a field of POST /v1/rollout/resume; the fields are reason, waitMs',
      ],
      [
        '/v1/rollout/plan/pause',
        { reason: 'x', waitMs: 10 },
        '"waitMs" is not a field of POST /v1/rollout/plan/pause; the fields are reason',
      ],
      [
        '/v1/breaker/reset',
        { reason: 'x' },
        '"reason" is not a field of POST /v1/breaker/reset; it takes none: send {} or no body',
      ],
      [
        '/v1/rollback',
        { reason: 'x', ['k'.repeat(100)]: 1 },
        `"${'k'.repeat(64)}"… (100 characters) is not a field of POST /v1/rollback; the fields are reason, waitMs`,
      ],
    ];
    for (const [url, body, details] of cases) {
      const answer = await server.inject({ method: 'POST', url, headers: ADMIN, payload: body });
      expect(answer.statusCode, url).toBe(400);
      expect(answer.json()).toEqual({ errorCode: 'INVALID_ARGUMENT', errorDetails: details });
    }
    const list = await server.inject({
      method: 'POST',
      url: '/v1/rollback',
      headers: ADMIN,
      payload: '[1]',
    });
    expect(list.json()).toEqual({
      errorCode: 'INVALID_ARGUMENT',
      errorDetails:
        'the body of POST /v1/rollback must be a JSON object or no body, got a list; the fields are reason, waitMs',
    });
    // A JSON null is a body that is not an object, not "no body": it engaged the kill switch.
    for (const url of ['/v1/rollback', '/v1/rollout/resume', '/v1/breaker/reset']) {
      const nothing = await server.inject({
        method: 'POST',
        url,
        headers: ADMIN,
        payload: 'null',
      });
      expect(nothing.statusCode, url).toBe(400);
      expect(nothing.json().errorDetails, url).toMatch(
        new RegExp(`^the body of POST ${url} must be a JSON object or no body, got null; `),
      );
    }
    expect(router.status().rollback).toBeNull();
    expect(await environment()).toBe(before);
  });

  it('takes every field its route lists, and no body where it needs none', async () => {
    const { server } = await setUp();
    const rollout = await server.inject({
      method: 'POST',
      url: '/v1/rollout',
      headers: ADMIN,
      payload: { percentage: 20, reason: 'widen', waitMs: 0 },
    });
    expect(rollout.statusCode).toBe(200);
    expect(rollout.json().rolloutPercentage).toBe(20);
    for (const url of ['/v1/rollback', '/v1/rollout/resume']) {
      const answer = await server.inject({
        method: 'POST',
        url,
        headers: ADMIN,
        payload: { reason: 'drill', waitMs: 0 },
      });
      expect(answer.statusCode, url).toBe(200);
    }
    const reset = await server.inject({
      method: 'POST',
      url: '/v1/breaker/reset',
      headers: { authorization: ADMIN.authorization },
    });
    expect(reset.statusCode).toBe(200);
  });
});

describe('waitMs, the wait for the fleet', () => {
  it("takes 0 to 60000 ms, the 1m the CLI's --wait takes, and refuses more before anything changes", async () => {
    const { server, environment } = await setUp();
    const before = await environment();
    for (const waitMs of [60_001, 3_600_000, -1, 1.5, '2s']) {
      const refused = await server.inject({
        method: 'POST',
        url: '/v1/rollout',
        headers: ADMIN,
        payload: { percentage: 20, reason: 'widen', waitMs },
      });
      expect(refused.statusCode, String(waitMs)).toBe(400);
      expect(refused.json()).toEqual({
        errorCode: 'INVALID_ARGUMENT',
        errorDetails:
          "waitMs must be a whole number of milliseconds from 0 (do not wait) to 60000 (1m, as the CLI's --wait)",
      });
    }
    expect(await environment()).toBe(before);
    const longest = await server.inject({
      method: 'POST',
      url: '/v1/rollback',
      headers: ADMIN,
      payload: { reason: 'drill', waitMs: 60_000 },
    });
    expect(longest.statusCode).toBe(200);
  });
});

describe('an admin body over HTTP', () => {
  async function served() {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const server = await testServer({
      configDir: temp.dir,
      watch: false,
      adminToken: 'admin-token',
    });
    return { server, environment: () => readFile(join(temp.dir, ENV), 'utf8') };
  }

  it('may be empty, of any content type, where the route needs no body, and is refused where it does', async () => {
    const { server, environment } = await served();
    const empty = (path: string) => post(`${server.url}${path}`, '', ADMIN);
    const reset = await empty('/v1/breaker/reset');
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ state: 'closed' });
    expect((await empty('/v1/rollout/resume')).status).toBe(200);
    const rollback = await empty('/v1/rollback');
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ rolloutPercentage: 0, killSwitch: { engaged: true } });
    expect(await environment()).toContain('rollback through the admin API');
    // A route that cannot act without its fields still refuses an empty body.
    for (const path of ['/v1/rollout', '/v1/rollout/plan/pause']) {
      expect(await empty(path), path).toMatchObject({
        status: 400,
        body: { errorCode: 'PARSE_ERROR', errorDetails: 'malformed JSON body: the body is empty' },
      });
    }
    // Empty is none whatever type it names (curl -X POST -d '' says a form); not so a body.
    const form = {
      authorization: ADMIN.authorization,
      'content-type': 'application/x-www-form-urlencoded',
    };
    expect((await post(`${server.url}/v1/breaker/reset`, '', form)).status).toBe(200);
    expect(await post(`${server.url}/v1/breaker/reset`, 'a=1', form)).toMatchObject({
      status: 415,
      body: { errorCode: 'UNSUPPORTED_MEDIA_TYPE' },
    });
    expect((await post(`${server.url}/v1/rollout`, '', form)).status).toBe(415);
    // Only an empty body is none: blank or broken JSON is still malformed.
    expect(await post(`${server.url}/v1/rollback`, ' ', ADMIN)).toMatchObject({
      status: 400,
      body: { errorCode: 'PARSE_ERROR' },
    });
  });

  it("names the path the caller posted to, not the route's pattern", async () => {
    const { server } = await served();
    for (const action of ['start', 'pause', 'resume', 'promote', 'abort']) {
      const path = `/v1/rollout/plan/${action}`;
      expect(await post(`${server.url}${path}?x=1`, { reason: 'r', percentage: 5 }, ADMIN)).toEqual(
        expect.objectContaining({
          status: 400,
          body: {
            errorCode: 'INVALID_ARGUMENT',
            errorDetails: `"percentage" is not a field of POST ${path}; the fields are reason`,
          },
        }),
      );
      expect((await post(`${server.url}${path}`, [1], ADMIN)).body).toEqual({
        errorCode: 'INVALID_ARGUMENT',
        errorDetails: `the body of POST ${path} must be a JSON object, got a list; the fields are reason`,
      });
    }
  });
});
