import { expect, it } from 'vitest';
import { OutcomeEventLog } from '../../src/outcomes/index.js';
import { createServer } from '../../src/server/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { FaultyFiles } from '../helpers/faulty-files.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { routerIn } from '../helpers/test-router.js';
import { INGEST_TOKEN } from '../helpers/test-server.js';

const BODY = `rollout_percentage: 100
enable_ab_testing: true
user_hash_salt: back-pressure-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;

const outcomes = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    backend: 'lightrag',
    cohort: 'lightrag',
    userId: `user-${from + index}`,
    success: true,
    latencyMs: 900,
  }));

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('POST /v1/outcomes refuses a batch (503 EVENTS_BACKLOGGED, Retry-After) rather than answer "recorded" for outcomes the event log would drop; nothing of it is counted', async () => {
  const { router } = await routerIn({ 'environments/development.yaml': BODY });
  const { dir } = await tempConfigDir();
  const files = new FaultyFiles();
  files.faults = [{ op: 'append', code: 'ENOSPC' }];
  const log = new OutcomeEventLog({
    dir,
    instance: 'back-pressure',
    files,
    maxPendingBytes: 3000,
    retryMs: { first: 5, max: 20 },
    logger: silentLogger(),
  });
  onTestEnd(() => log.close());
  router.addOutcomeSink(log);
  const app = createServer(router, { ingestToken: INGEST_TOKEN, logger: silentLogger() });
  onTestEnd(() => app.close());
  const post = (payload: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/outcomes',
      headers: { authorization: `Bearer ${INGEST_TOKEN}` },
      payload: payload as object,
    });
  const counted = () => router.outcomeMoments().lightrag.success_rate.n;

  expect((await post(outcomes(0, 5))).json()).toEqual({ recorded: 5, duplicates: 0 });
  await until(() => log.health().status === 'degraded');
  const refused = await post(outcomes(5, 5));
  expect(refused.statusCode).toBe(503);
  expect(refused.headers['retry-after']).toBe('1');
  expect(refused.json()).toMatchObject({ errorCode: 'EVENTS_BACKLOGGED' });
  expect(counted()).toBe(5);
  expect(log.health().dropped).toEqual({});

  // The disk takes them again: the waiting outcomes are written and a retry is taken.
  files.faults = [];
  await until(() => log.health().waiting === 0);
  expect((await post(outcomes(5, 5))).json()).toEqual({ recorded: 5, duplicates: 0 });
  expect(counted()).toBe(10);
  await log.close();
  expect(log.health()).toMatchObject({ written: 10, dropped: {} });
});
