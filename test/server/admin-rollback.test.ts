import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const TOKEN = 'admin-token-of-the-rollback-test';

describe('POST /v1/rollback on a read-only environment file', () => {
  it('engages the kill switch in this process and says truthfully that it is not persisted, with no path', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 100\n' });
    const file = join(temp.dir, ENV);
    await chmod(file, 0o444);
    const before = await readFile(file, 'utf8');
    // Run as `flagroute serve` runs, from the configuration directory.
    const server = await testServer({
      configDir: temp.dir,
      cwd: temp.dir,
      watch: false,
      adminToken: TOKEN,
    });
    const rolledBack = new Promise<{ persisted: boolean }>((resolve) =>
      server.router.on('rollback', resolve),
    );
    const answer = await post(
      `${server.url}/v1/rollback`,
      { reason: 'error spike' },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      killSwitch: {
        engaged: true,
        persisted: false,
        details: expect.stringMatching(
          /engaged in this process only.*restart lifts it.*docs\/fleet\.md/,
        ),
      },
      rollback: { persisted: false, reason: 'error spike' },
    });
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain(temp.dir);
    expect((answer.body as { killSwitch: { details: string } }).killSwitch.details).not.toMatch(
      /\.yaml|environments\//,
    );
    expect(await rolledBack).toMatchObject({ persisted: false });
    expect(server.router.settings.rollout_percentage).toBe(0);
    const decided = await post(`${server.url}/v1/decide`, { userId: 'alice' });
    expect(decided.body).toMatchObject({ backend: 'perplexity' });
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('on a file that no longer loads the answer says so, not that the file is read-only', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 100\n' });
    const server = await testServer({ configDir: temp.dir, watch: false, adminToken: TOKEN });
    await temp.write(ENV, 'rollout_percentage: 100\nuser_hash_salt: |not-a-salt-line\n');
    const answer = await post(
      `${server.url}/v1/rollback`,
      { reason: 'error spike' },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(answer).toMatchObject({
      status: 200,
      body: { killSwitch: { engaged: true, persisted: false } },
    });
    const { details } = (answer.body as { killSwitch: { details: string } }).killSwitch;
    expect(details).toMatch(/does not load as it is now.*\/readyz/);
    expect(details).not.toMatch(/read-only/);
    expect(JSON.stringify(answer.body)).not.toContain('not-a-salt-line');
    expect(server.router.settings.rollout_percentage).toBe(0);
  });

  it('on a writable file the answer says the kill switch is persisted', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 100\n' });
    const server = await testServer({ configDir: temp.dir, watch: false, adminToken: TOKEN });
    const answer = await post(
      `${server.url}/v1/rollback`,
      { reason: 'error spike' },
      {
        authorization: `Bearer ${TOKEN}`,
      },
    );
    expect(answer).toMatchObject({
      status: 200,
      body: { killSwitch: { engaged: true, persisted: true } },
    });
    expect(await readFile(join(temp.dir, ENV), 'utf8')).toMatch(/^rollback:/m);
  });
});
