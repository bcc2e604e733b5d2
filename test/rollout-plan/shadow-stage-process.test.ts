import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePlanStore, type TransitionNotice } from '../../src/rollout-plan/index.js';
import type { RouterStatus } from '../../src/router/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

/**
 * A plan that starts in the shadow (a 2 s hold, as the other process tests hold their stages).
 * Its min_pairs is every pair the test posts (40 users, 2 queries each): with fewer, a loaded
 * machine let the plan leave the shadow before the last queries were decided, and those were
 * (rightly) not shadowed.
 */
const ENV = (webhook: string) => `rollout_percentage: 0
enable_ab_testing: true
user_hash_salt: shadow-stage-process-salt
rollback_triggers: { min_samples: 10 }
shadow: { max_per_second: 1000 }
rollout_plan:
  stages:
    - { shadow: true, hold: 2s, min_pairs: 80 }
    - { percentage: 20, hold: 1h }
    - { percentage: 100, hold: 1h }
  guardrails: { metrics: [success_rate, quality_score] }
  webhooks: [${webhook}]
`;

describe('a shadow stage end to end', () => {
  it('flagroute serve --controller: the plan starts in the shadow, takes the pairs posted over HTTP, and advances to the stage that serves users', async () => {
    // Webhooks land here: every transition, as a service listening for them sees it.
    const notices: TransitionNotice[] = [];
    const hooks = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        notices.push(JSON.parse(body) as TransitionNotice);
        response.end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    onTestEnd(() => new Promise((resolve) => hooks.close(resolve)));
    const { port } = hooks.address() as { port: number };
    const temp = await tempConfigDir({
      'environments/development.yaml': ENV(`http://127.0.0.1:${port}/hook`),
    });
    const server = startCli(
      ['serve', '--config-dir', temp.dir, '--port', '0', '--controller', '--interval', '1s'],
      {
        env: {
          FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN,
          FLAGROUTE_DECISION_KEY: 'k1:the-decision-key-of-the-shadow-stage-test-0123',
        },
      },
    );
    {
      const url = await waitFor(
        'the server to listen',
        () => /listening on (\S+)/.exec(server.output())?.[1],
      );
      const status = async () =>
        (await fetch(`${url}/v1/status`).then((response) => response.json())) as RouterStatus;
      const on = ['--config-dir', temp.dir];
      const start = await runCli(['rollout', 'plan', 'start', ...on, '--reason', 'prove it']);
      expect(start.code).toBe(0);
      expect(start.stdout).toMatch(
        /stage 1 \(shadow\): no user on LightRAG, 100 % of the eligible/,
      );
      // The server follows the file: nobody on LightRAG, every query Perplexity serves shadowed.
      await waitFor('the server to shadow', async () => (await status()).shadow.percentage === 100);
      expect((await status()).rolloutPercentage).toBe(0);
      const planStatus = await runCli(['rollout', 'plan', 'status', ...on]);
      expect(planStatus.stdout).toMatch(
        /NOW {2}stage 1: shadow 100 % of queries, no user on LightRAG {2}\(hold 2s, 80 pairs\)/,
      );

      // The service: a decision for each query, both backends called, the pair posted by token.
      const random = new SeededRandom(30);
      for (let user = 0; user < 40; user += 1) {
        for (let query = 0; query < 2; query += 1) {
          const decided = await post(`${url}/v1/decide`, {
            userId: `user-${user}`,
            requestId: `q-${user}-${query}`,
          });
          const decision = decided.body as {
            backend: string;
            shadow?: string;
            decisionToken: string;
          };
          expect(decision).toMatchObject({ backend: 'perplexity', shadow: 'lightrag' });
          const quality = 0.75 + 0.05 * random.normal();
          const posted = await postOutcomes(`${url}/v1/outcomes`, {
            decisionToken: decision.decisionToken,
            success: true,
            latencyMs: 1200,
            quality,
            shadow: { success: true, latencyMs: 1400, quality: quality + 0.05, costUsd: 0.003 },
          });
          expect(posted).toMatchObject({ status: 200, body: { recorded: 1 } });
        }
      }

      const store = new FilePlanStore(join(temp.dir, 'state'), 'development');
      const moved = await waitFor('the plan to leave the shadow stage', async () => {
        const { state } = await store.readState();
        return state.stage === 1 ? state : undefined;
      });
      expect(moved.phase).toBe('running');
      expect(moved.history.at(-1)!.reason).toMatch(
        /stage 1 \(shadow\) passed its checks; now 20 %/,
      );
      await waitFor('the server to serve stage 2', async () => {
        const now = await status();
        return now.rolloutPercentage === 20 && now.shadow.percentage === 0;
      });
      const after = await post(`${url}/v1/decide`, { userId: 'user-1', requestId: 'later' });
      expect((after.body as { shadow?: string }).shadow).toBeUndefined();
      // The webhooks named the shadow stage, and its end.
      // (A look may hold the stage while the pairs come in: a hold is not a move.)
      const moves = () => notices.filter((notice) => notice.event !== 'hold');
      await waitFor('both webhooks', () => moves().length >= 2);
      expect(moves()[0]).toMatchObject({ event: 'start', stage: 0, percentage: 0, shadow: 100 });
      expect(moves()[1]).toMatchObject({ event: 'advance', stage: 1, percentage: 20 });
      expect(moves()[1]!.shadow).toBeUndefined();
      expect(await server.stop()).toBe(0);
    }
  }, 90_000);
});
