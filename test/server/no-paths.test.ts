import { chmod, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const ADMIN = { authorization: 'Bearer admin-token' };
const PLAN = `rollout_percentage: 10
rollout_plan:
  stages:
    - { percentage: 20, hold: 1h, min_units: 5 }
    - { percentage: 100, hold: 1h }
`;

/** Every form in which an answer could show where the server's files are. */
async function placesOf(dir: string): Promise<string[]> {
  return [...new Set([dir, await realpath(dir), tmpdir()])];
}

function expectNoPath(text: string, places: readonly string[], what: string): void {
  for (const place of places) expect(text, `${what} shows ${place}`).not.toContain(place);
}

describe('no answer shows a file-system path', () => {
  it('status, readiness, the dashboard and refused edits name files relative to the config directory', async () => {
    const temp = await tempConfigDir({ [ENV]: PLAN });
    // serve() as the CLI calls it: no cwd, a config directory elsewhere than the working one.
    const server = await testServer({
      configDir: temp.dir,
      watch: false,
      adminToken: 'admin-token',
    });
    const places = await placesOf(temp.dir);
    const text = async (path: string) => {
      const response = await fetch(`${server.url}${path}`);
      return { status: response.status, text: await response.text() };
    };

    const status = await text('/v1/status');
    expectNoPath(status.text, places, '/v1/status');
    expect(JSON.parse(status.text)).toMatchObject({
      rolloutOrigin: 'environments/development.yaml:1',
      rolloutLayers: { file: { origin: 'environments/development.yaml:1' } },
    });
    expectNoPath((await text('/v1/dashboard/snapshot')).text, places, 'dashboard snapshot');

    // The file cannot be written: every refused edit names it without its directory.
    await chmod(join(temp.dir, ENV), 0o444);
    const raise = await post(`${server.url}/v1/rollout`, { percentage: 30, reason: 'r' }, ADMIN);
    expect(raise.status).toBe(409);
    expect(raise.body).toMatchObject({
      errorCode: 'CONFIG_NOT_WRITABLE',
      errorDetails: expect.stringMatching(/^environments\/development\.yaml is read-only/),
    });
    const start = await post(`${server.url}/v1/rollout/plan/start`, { reason: 'r' }, ADMIN);
    expect(start.status).toBeGreaterThanOrEqual(400);
    const rollback = await post(`${server.url}/v1/rollback`, { reason: 'r' }, ADMIN);
    expect(rollback.status).toBe(200);
    for (const [what, answer] of [
      ['raise', raise],
      ['plan start', start],
      ['rollback', rollback],
    ] as const) {
      expectNoPath(JSON.stringify(answer.body), places, what);
    }
    await chmod(join(temp.dir, ENV), 0o644);

    // A reload that fails: /readyz lists the errors with file:line:col, relative.
    await temp.write(ENV, 'rollout_percentage: [\n');
    await server.router.reload();
    const ready = await text('/readyz');
    expect(ready.status).toBe(503);
    expectNoPath(ready.text, places, '/readyz');
    expect(JSON.parse(ready.text)).toMatchObject({
      errors: [{ file: 'environments/development.yaml', line: 2 }],
    });
  });

  it('a server over a router made without a cwd still shows no path in an error', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    // The working directory (the repository) does not hold the config directory, so the
    // router names its files by their absolute paths.
    const router = await testRouter({
      configDir: temp.dir,
      env: {},
      logger: silentLogger(),
      watch: false,
    });
    const app = createServer(router, { adminToken: 'admin-token' });
    await chmod(join(temp.dir, ENV), 0o444);
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/rollout',
      headers: ADMIN,
      payload: { percentage: 30, reason: 'r' },
    });
    await app.close();
    expect(answer.statusCode).toBe(409);
    expectNoPath(answer.body, await placesOf(temp.dir), 'the refused raise');
    expect(answer.json()).toMatchObject({
      errorDetails: expect.stringMatching(/^environments\/development\.yaml is read-only/),
    });
  });
});
