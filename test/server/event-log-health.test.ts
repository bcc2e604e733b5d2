import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutcomeEventLog } from '../../src/outcomes/index.js';
import { createServer } from '../../src/server/create-server.js';
import { waitFor } from '../helpers/cli-process.js';
import { FaultyFiles } from '../helpers/faulty-files.js';
import { capturingLogger, silentLogger } from '../helpers/silent-logger.js';
import { routerIn } from '../helpers/test-router.js';
import { INGEST_TOKEN } from '../helpers/test-server.js';

const BODY = `rollout_percentage: 100
enable_ab_testing: true
user_hash_salt: event-log-health-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;

describe('the outcome event log in /readyz and /metrics', () => {
  it('a full disk: degraded with the reason and no path, counted; ready again once it is written', async () => {
    const { router, dir } = await routerIn({ 'environments/development.yaml': BODY });
    const files = new FaultyFiles();
    const { logger, lines } = capturingLogger();
    const eventsDir = join(dir, 'events');
    const log = new OutcomeEventLog({
      dir: eventsDir,
      instance: 'web-1',
      files,
      logger,
      retryMs: { first: 5, max: 40 },
    });
    router.addOutcomeSink(log);
    const app = createServer(router, {
      eventLogs: [log],
      ingestToken: INGEST_TOKEN,
      logger: silentLogger(),
    });
    const post = async (path: string, body: unknown) =>
      (
        await app.inject({
          method: 'POST',
          url: path,
          payload: body as object,
          headers: { authorization: `Bearer ${INGEST_TOKEN}` },
        })
      ).json() as Record<string, unknown>;
    const outcome = async (userId: string) => {
      const decision = await post('/v1/decide', { userId });
      return post('/v1/outcomes', { decisionId: decision.decisionId, userId, success: true });
    };
    const readyz = async () => {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(200);
      return { text: response.body, body: response.json() as Record<string, unknown> };
    };

    expect((await readyz()).body).toMatchObject({
      status: 'ready',
      eventLogs: { outcome: { status: 'ok', failure: null } },
    });
    files.faults = [{ op: 'append', code: 'ENOSPC', partial: true }];
    await outcome('alice');
    await waitFor('the failure', () => log.health().status === 'degraded');
    const degraded = await readyz();
    expect(degraded.body).toMatchObject({
      status: 'degraded',
      eventLogs: {
        outcome: {
          status: 'degraded',
          failure: { reason: 'no_space', summary: expect.stringMatching(/full/) },
          // alice's exposure record (A/B on) and her outcome.
          waiting: 2,
        },
      },
    });
    expect(degraded.text).not.toContain(dir);
    expect(degraded.text).not.toContain('/events');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /flagroute_outcome_event_log_write_failures_total\{reason="no_space"\} [1-9]/,
    );
    expect(metrics).toContain('flagroute_outcome_events_waiting 2');
    // The server's logger has the failure, with the directory (a log is not a response).
    expect(lines.find((line) => line.reason === 'no_space')).toMatchObject({
      level: 50,
      dir: eventsDir,
    });

    files.faults = [];
    await waitFor('writing again', () => log.health().status === 'ok');
    await outcome('bob');
    // Two exposures and two outcomes.
    await waitFor('both written', () => log.written === 4);
    expect((await readyz()).body).toMatchObject({ status: 'ready' });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain(
      'flagroute_outcome_events_written_total 4',
    );
    await app.close();
    await log.close();
  });
});
