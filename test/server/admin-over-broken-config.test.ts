import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const ADMIN = { authorization: 'Bearer admin-token' };
const GOOD_ENV =
  'rollout_percentage: 10\nenable_ab_testing: true\nuser_hash_salt: s4lt-of-the-tests\n';

/** A watching server whose environment file was broken after it started, once it has seen so. */
async function serverOverBrokenFile() {
  const temp = await tempConfigDir({ [ENV]: GOOD_ENV });
  const server = await testServer({ configDir: temp.dir, watch: true, adminToken: 'admin-token' });
  await temp.write(ENV, 'rollout_percentage: [\n');
  await waitFor('the reload to fail', async () => {
    const response = await fetch(`${server.url}/readyz`);
    return response.status === 503;
  });
  return server;
}

describe('an admin write while the configuration on disk does not load', () => {
  it('is 409 INVALID_CONFIG listing the problems, not a 500: the same request succeeds once the file is fixed', async () => {
    const server = await serverOverBrokenFile();
    const writes: Array<[string, Record<string, unknown>]> = [
      ['/v1/rollout', { percentage: 5, reason: 'widen', waitMs: 0 }],
      ['/v1/rollout/plan/start', { reason: 'start' }],
    ];
    for (const [path, body] of writes) {
      const answer = await post(`${server.url}${path}`, body, ADMIN);
      expect(answer.status, path).toBe(409);
      expect(answer.body, path).toMatchObject({
        errorCode: 'INVALID_CONFIG',
        errorDetails: expect.stringContaining(
          'environments/development.yaml:2:1: YAML syntax error here',
        ),
      });
    }
    // The emergency rollback is never turned away: engaged here, and said not persisted.
    const rollback = await post(`${server.url}/v1/rollback`, { reason: 'drill' }, ADMIN);
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ killSwitch: { engaged: true, persisted: false } });
  });
});
