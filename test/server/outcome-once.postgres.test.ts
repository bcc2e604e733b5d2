import { expect, it } from 'vitest';
import { migrateStore, PostgresEventStore } from '../../src/postgres/index.js';
import type { Router } from '../../src/router/router.js';
import { createServer } from '../../src/server/create-server.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { experimentEnv } from '../helpers/config-dir.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { routerIn } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';
const JSON_BODY = { 'content-type': 'application/json' };

interface Refusal {
  errorCode: string;
  problems?: { index: number; field: string; message: string }[];
}

/** A server over a new router, taking anonymous outcomes, through `store` when given one (`--store`). */
async function serverWith(store?: PostgresEventStore) {
  const { router } = await routerIn({ [ENV]: experimentEnv('outcome-once-salt', 50) });
  if (store) router.addOutcomeSink(store);
  const app = createServer(router, {
    anonymousOutcomes: true,
    ...(store ? { outcomeStore: store } : {}),
  });
  onTestEnd(() => app.close());
  return { app, router };
}

async function decisionIds(app: Awaited<ReturnType<typeof serverWith>>['app'], count: number) {
  const ids: string[] = [];
  for (let user = 0; user < count; user += 1) {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: JSON_BODY,
      payload: { userId: `user-${user}` },
    });
    ids.push((answer.json() as { decisionId: string }).decisionId);
  }
  return ids;
}

/** Two posts of one outcome for `decisionId`, sent together: the answers, sorted by status. */
async function postTwiceAtOnce(app: Awaited<ReturnType<typeof serverWith>>['app'], id: string) {
  const post = () =>
    app.inject({
      method: 'POST',
      url: '/v1/outcomes',
      headers: JSON_BODY,
      payload: { decisionId: id, success: true, latencyMs: 900 },
    });
  const answers = await Promise.all([post(), post()]);
  return answers
    .map((answer) => ({ status: answer.statusCode, body: answer.json() as unknown }))
    .sort((a, b) => a.status - b.status);
}

function expectOneRecordedOneRefused(
  answers: { status: number; body: unknown }[],
  id: string,
): void {
  expect(answers.map((answer) => answer.status)).toEqual([200, 400]);
  expect(answers[0]!.body).toEqual({ recorded: 1, duplicates: 0 });
  const refusal = answers[1]!.body as Refusal;
  expect(refusal.errorCode).toBe('INVALID_OUTCOME');
  expect(refusal.problems).toEqual([
    {
      index: 0,
      field: 'decisionId',
      message: `decisionId already has its outcome; a decision takes one: "${id}"`,
    },
  ]);
}

/** The outcomes the router counted, over both backends. */
function recordedCount(router: Router): number {
  const { performance } = router.getPerformanceSummary();
  return Object.values(performance).reduce(
    (sum, series) => sum + series.success_count + series.error_count,
    0,
  );
}

describePostgres(
  'two simultaneous posts of an outcome for one decision id, on one instance',
  () => {
    const postgres = usePostgres();

    async function storeOn(url: string): Promise<PostgresEventStore> {
      const store = await PostgresEventStore.open({
        url,
        environment: 'development',
        logger: silentLogger(),
        instance: 'outcome-once',
      });
      onTestEnd(() => store.close());
      return store;
    }

    it('with --store: one is recorded, the other refused as already having its outcome, as in file mode', async () => {
      const url = await postgres().createDatabase();
      await migrateStore({ url });
      const store = await storeOn(url);
      const fleet = await serverWith(store);
      const file = await serverWith();
      for (const { app } of [fleet, file]) {
        for (const id of await decisionIds(app, 20)) {
          expectOneRecordedOneRefused(await postTwiceAtOnce(app, id), id);
        }
      }
      expect(recordedCount(fleet.router)).toBe(20);
      expect(recordedCount(file.router)).toBe(20);
      const rows = await postgres().query<{ n: string; ids: string }>(
        'SELECT count(*) AS n, count(DISTINCT decision_id) AS ids FROM flagroute.outcome_events',
        [],
        new URL(url).pathname.slice(1),
      );
      expect(rows[0]).toEqual({ n: '20', ids: '20' });
    });

    it('an id whose outcome the store could not take (503) takes it when sent again', async () => {
      const url = await postgres().createDatabase();
      await migrateStore({ url });
      const store = await storeOn(url);
      const { app } = await serverWith(store);
      const [id] = await decisionIds(app, 1);
      const post = () =>
        app.inject({
          method: 'POST',
          url: '/v1/outcomes',
          headers: JSON_BODY,
          payload: { decisionId: id, success: true },
        });
      await postgres().stop('fast');
      onTestEnd(async () => {
        if (!postgres().running) await postgres().start();
      });
      const refused = await post();
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ errorCode: 'STORE_UNAVAILABLE' });
      await postgres().start();
      const deadline = Date.now() + 60_000;
      let again = await post();
      // The store's pool reconnects on its own; until then it still answers 503.
      while (again.statusCode === 503 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        again = await post();
      }
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ recorded: 1, duplicates: 0 });
    });
  },
);
