import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { routerIn } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';
const LIMIT = 'the body is larger than this server takes: at most 2048 bytes (2 KiB);';

describe('a body over the limit', () => {
  it("is 413 with advice for the route it was sent to, not the outcomes route's", async () => {
    const { router } = await routerIn({ [ENV]: 'rollout_percentage: 10\n' });
    const server = createServer(router, {
      adminToken: 'admin-token',
      anonymousOutcomes: true,
      bodyLimit: 2048,
    });
    const big = JSON.stringify({ context: { targetingKey: 'a', notes: 'x'.repeat(3000) } });
    const context =
      'send a smaller routing context (fewer or shorter attributes, a shorter queryText)';
    const evaluation =
      'send a smaller evaluation context (fewer or shorter attributes, a shorter queryText)';
    const cases: [string, number, string, string][] = [
      ['/v1/outcomes', 413, 'PAYLOAD_TOO_LARGE', 'send the batch of outcomes in several posts'],
      ['/v1/decide', 413, 'PAYLOAD_TOO_LARGE', context],
      ['/v1/explain', 413, 'PAYLOAD_TOO_LARGE', context],
      // OFREP has no code of its own for it: GENERAL, with the status.
      ['/ofrep/v1/evaluate/flags', 413, 'GENERAL', evaluation],
      ['/ofrep/v1/evaluate/flags/backend', 413, 'GENERAL', evaluation],
      [
        '/v1/rollout',
        413,
        'PAYLOAD_TOO_LARGE',
        'send only the fields of the route (a reason is at most 400 characters)',
      ],
    ];
    for (const [url, status, code, advice] of cases) {
      const answer = await server.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', authorization: 'Bearer admin-token' },
        payload: big,
      });
      expect(answer.statusCode, url).toBe(status);
      expect(answer.json().errorCode, url).toBe(code);
      expect(answer.json().errorDetails, url).toBe(`${LIMIT} ${advice}`);
    }
  });
});
