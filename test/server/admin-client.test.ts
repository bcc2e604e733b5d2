import { describe, expect, it } from 'vitest';
import { adminPost } from '../../src/server/admin-client.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { testServer } from '../helpers/test-server.js';

describe('adminPost: a refusal carries the server code', () => {
  it("the server's own code, or INVALID_DATA for an answer no flagroute server gives", async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 10\n',
    });
    const server = await testServer({ configDir: temp.dir, watch: false, adminToken: 'right' });
    const call = (token: string, path: string, body: Record<string, unknown> = {}) =>
      adminPost({ url: server.url, token }, path, body);
    await expect(call('wrong', '/v1/breaker/reset')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: `flagroute at ${server.url} refused /v1/breaker/reset (403 FORBIDDEN: wrong admin token)`,
    });
    await expect(call('right', '/v1/rollback', { reason: 'a\u001bb' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(call('right', '/v1/rollout/plan/jump', { reason: 'r' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    const answering = (status: number, text: string) =>
      (async () => new Response(text, { status })) as unknown as typeof fetch;
    const elsewhere = (status: number, text: string) =>
      adminPost({ url: server.url, token: 'right', fetch: answering(status, text) }, '/v1/x');
    await expect(
      elsewhere(418, JSON.stringify({ errorCode: 'TEAPOT', errorDetails: 'short and stout' })),
    ).rejects.toMatchObject({ code: 'INVALID_DATA' });
    await expect(elsewhere(502, '<html>bad gateway</html>')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringContaining('(502 status 502)'),
    });
  });
});
