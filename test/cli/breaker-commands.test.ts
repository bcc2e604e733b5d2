import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, postOutcomes, testServer } from '../helpers/test-server.js';

const TOKEN = 'admin-token-for-the-breaker-test';

/** A real server whose breaker three candidate failures have opened. */
async function serverWithOpenBreaker() {
  const temp = await tempConfigDir({
    'environments/development.yaml':
      'rollout_percentage: 50\nenable_circuit_breaker: true\ncircuit_breaker_threshold: 3\nrollback_triggers: {enabled: false}\n',
  });
  const server = await testServer({
    configDir: temp.dir,
    watch: false,
    adminToken: TOKEN,
    ingestToken: INGEST_TOKEN,
  });
  const failures = [1, 2, 3].map(() => ({ backend: 'lightrag', success: false }));
  expect((await postOutcomes(`${server.url}/v1/outcomes`, failures)).status).toBe(200);
  expect(server.router.getPerformanceSummary().circuit_breaker.state).toBe('open');
  return server;
}

describe('flagroute breaker reset', () => {
  it("closes a running server's breaker over its admin API", async () => {
    const server = await serverWithOpenBreaker();
    const result = await runCli(['breaker', 'reset', '--url', server.url], {
      env: { FLAGROUTE_ADMIN_TOKEN: TOKEN },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `circuit breaker of ${server.url} reset: closed, 0 failures counted\n`,
    );
    expect(server.router.getPerformanceSummary().circuit_breaker.state).toBe('closed');
  });

  it('says why when the token is wrong or missing, and leaves the breaker open', async () => {
    const server = await serverWithOpenBreaker();
    const wrong = await runCli(['breaker', 'reset', '--url', server.url], {
      env: { FLAGROUTE_ADMIN_TOKEN: 'not-the-token' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      `error: flagroute at ${server.url} refused /v1/breaker/reset (403 FORBIDDEN: wrong admin token)\n`,
    );
    const missing = await runCli(['breaker', 'reset', '--url', server.url], {
      env: { FLAGROUTE_ADMIN_TOKEN: '' },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'error: set FLAGROUTE_ADMIN_TOKEN to the admin token the server was started with\n',
    );
    expect(server.router.getPerformanceSummary().circuit_breaker.state).toBe('open');
  });

  it('names a server that cannot be reached and a URL that is not one', async () => {
    const down = await runCli(['breaker', 'reset', '--url', 'http://127.0.0.1:9'], {
      env: { FLAGROUTE_ADMIN_TOKEN: TOKEN },
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: flagroute at http:\/\/127\.0\.0\.1:9 cannot be reached/);
    const bad = await runCli(['breaker', 'reset', '--url', 'localhost:8016'], {
      env: { FLAGROUTE_ADMIN_TOKEN: TOKEN },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --url must be the server's http\(s\) URL/);
  });
});
