import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutcomeEventLog } from '../../src/outcomes/index.js';
import { createServer } from '../../src/server/create-server.js';
import { experimentEnv } from '../helpers/config-dir.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { routerIn } from '../helpers/test-router.js';
import { INGEST_TOKEN } from '../helpers/test-server.js';

/** Every line of every outcome file in `dir`, parsed. */
function eventsIn(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith('outcomes-'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('POST /v1/outcomes with an event log', () => {
  it('answers after the outcomes are in the file: a reader right after the answer finds every one', async () => {
    const { router, dir } = await routerIn({
      'environments/development.yaml': experimentEnv('answer-after-write-salt', 50),
    });
    const eventsDir = join(dir, 'events');
    const log = new OutcomeEventLog({ dir: eventsDir, instance: 'web-1' });
    await log.ready;
    router.addOutcomeSink(log);
    const app = createServer(router, {
      eventLogs: [log],
      ingestToken: INGEST_TOKEN,
      logger: silentLogger(),
    });
    const headers = { authorization: `Bearer ${INGEST_TOKEN}` };
    try {
      for (let round = 0; round < 20; round += 1) {
        const users = Array.from({ length: 5 }, (_, i) => `user-${round}-${i}`);
        const outcomes = [];
        for (const userId of users) {
          const decision = await app.inject({
            method: 'POST',
            url: '/v1/decide',
            payload: { userId },
          });
          const { decisionId } = decision.json() as { decisionId: string };
          outcomes.push({ decisionId, userId, success: true, latencyMs: 100 + round });
        }
        // A batch in even rounds, a single outcome in odd ones.
        const posted = round % 2 === 0 ? outcomes : [outcomes[0]!];
        const answer = await app.inject({
          method: 'POST',
          url: '/v1/outcomes',
          payload: round % 2 === 0 ? posted : posted[0]!,
          headers,
        });
        expect(answer.statusCode).toBe(200);
        const onDisk = new Set(
          eventsIn(eventsDir)
            .filter((line) => line.decisionId !== undefined && line.success !== undefined)
            .map((line) => line.decisionId),
        );
        for (const { decisionId } of posted) expect(onDisk, `round ${round}`).toContain(decisionId);
      }
    } finally {
      await app.close();
      await log.close();
    }
  });
});
