import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { routerIn } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';

async function app() {
  const { router } = await routerIn({ [ENV]: 'rollout_percentage: 10\n' });
  const server = createServer(router, { adminToken: 'admin-token', anonymousOutcomes: true });
  return server;
}

describe('a route asked with a method it does not take', () => {
  it('is 405 with an Allow header listing its methods, in the house error shape, on every route', async () => {
    const server = await app();
    const cases: [string, string, string][] = [
      ['GET', '/v1/decide', 'POST'],
      ['PUT', '/v1/explain', 'POST'],
      ['GET', '/v1/outcomes', 'POST'],
      ['DELETE', '/v1/rollout', 'POST'],
      ['GET', '/v1/rollback', 'POST'],
      ['GET', '/v1/rollout/resume', 'POST'],
      ['GET', '/v1/rollout/plan/pause', 'POST'],
      ['GET', '/v1/breaker/reset', 'POST'],
      ['POST', '/v1/status', 'GET, HEAD'],
      ['POST', '/v1/summary', 'GET, HEAD'],
      ['POST', '/v1/experiment', 'GET, HEAD'],
      ['POST', '/v1/experiment/shadow', 'GET, HEAD'],
      ['POST', '/v1/dashboard/snapshot', 'GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/readyz', 'GET, HEAD'],
      ['POST', '/metrics', 'GET, HEAD'],
      ['POST', '/dashboard', 'GET, HEAD'],
      ['POST', '/dashboard/dashboard.js', 'GET, HEAD'],
      ['OPTIONS', '/v1/decide', 'POST'],
    ];
    for (const [method, url, allow] of cases) {
      const answer = await server.inject({ method: method as 'GET', url: `${url}?x=1` });
      expect(answer.statusCode, `${method} ${url}`).toBe(405);
      expect(answer.headers.allow, `${method} ${url}`).toBe(allow);
      expect(answer.json()).toEqual({
        errorCode: 'METHOD_NOT_ALLOWED',
        errorDetails: `${method} is not a method of ${url}; use ${allow}`,
      });
    }
  });

  it("is 405 on OFREP's routes too, with OFREP's code GENERAL; an unknown path is still 404", async () => {
    const server = await app();
    for (const url of ['/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/backend']) {
      const answer = await server.inject({ method: 'GET', url });
      expect(answer.statusCode, url).toBe(405);
      expect(answer.headers.allow).toBe('POST');
      expect(answer.json()).toEqual({
        errorCode: 'GENERAL',
        errorDetails: `GET is not a method of ${url}; use POST`,
      });
    }
    const unknown = await server.inject({ method: 'GET', url: '/v1/nothing' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers.allow).toBeUndefined();
    expect(unknown.json()).toEqual({
      errorCode: 'NOT_FOUND',
      errorDetails: 'no route GET /v1/nothing',
    });
    // A path with one part more or less than a route's is no route.
    expect((await server.inject({ method: 'POST', url: '/v1/rollout/plan' })).statusCode).toBe(404);
    expect((await server.inject({ method: 'GET', url: '/v1/rollout/plan/a/b' })).statusCode).toBe(
      404,
    );
  });

  it('is 405 before its body is read: a malformed, empty or oversized body does not turn it into a 400 or a 413', async () => {
    const server = await app();
    const json = { 'content-type': 'application/json' };
    for (const payload of ['{"userId": ', '', 'x'.repeat(70_000)]) {
      const answer = await server.inject({
        method: 'PUT',
        url: '/v1/decide',
        headers: json,
        payload,
      });
      expect(answer.statusCode, payload.slice(0, 10)).toBe(405);
      expect(answer.headers.allow).toBe('POST');
    }
    const unknown = await server.inject({
      method: 'PUT',
      url: '/v1/nothing',
      headers: json,
      payload: '{',
    });
    expect(unknown.statusCode).toBe(404);
  });
});
