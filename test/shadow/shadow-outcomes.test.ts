import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ShadowReport } from '../../src/shadow/index.js';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { parseMetrics } from '../helpers/prometheus-text.js';
import { runCli } from '../helpers/run-cli.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

const BODY = `rollout_percentage: 10
enable_ab_testing: true
user_hash_salt: shadow-outcomes-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: true
enable_quality_metrics: false
`;

/** Served Perplexity outcomes with LightRAG's shadow result, `perUser` each for `users` users. */
function pairs(random: SeededRandom, users: number, perUser: number) {
  return Array.from({ length: users * perUser }, (_, index) => {
    const user = Math.floor(index / perUser);
    const quality = 0.7 + 0.1 * random.normal();
    const clamp = (x: number) => Math.min(1, Math.max(0, x));
    return {
      backend: 'perplexity',
      cohort: user % 2 === 0 ? 'perplexity' : 'control',
      userId: `user-${user}`,
      success: true,
      latencyMs: Math.round(1200 + 200 * random.normal()),
      quality: clamp(quality),
      costUsd: 0.002,
      shadow: {
        success: random.uniform() > 0.05,
        latencyMs: Math.round(1300 + 200 * random.normal()),
        quality: clamp(quality + 0.04 + 0.05 * random.normal()),
        costUsd: 0.003,
      },
      ...(index % 3 === 0
        ? {
            preference: {
              winner: random.uniform() < 0.6 ? 'lightrag' : 'perplexity',
              judge: 'judge-model',
            },
          }
        : {}),
    };
  });
}

describe('paired outcomes through a real flagroute serve', () => {
  it('POST /v1/outcomes takes pairs; the event log keeps them together; /v1/experiment/shadow, /metrics and experiment report --shadow agree', async () => {
    const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
    const events = join(temp.dir, 'events');
    const server = startCli(
      ['serve', '--config-dir', temp.dir, '--port', '0', '--events-dir', events],
      { env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN } },
    );
    const url = await waitFor(
      'the server to listen',
      () => /listening on (\S+)/.exec(server.output())?.[1],
    );
    const batch = pairs(new SeededRandom(30), 60, 4);
    expect((await postOutcomes(`${url}/v1/outcomes`, batch)).status).toBe(200);

    // A shadow result for a query LightRAG served, and a preference without a shadow: refused whole.
    const refused = await postOutcomes(`${url}/v1/outcomes`, [
      { backend: 'lightrag', cohort: 'lightrag', success: true, shadow: { success: true } },
      {
        backend: 'perplexity',
        cohort: 'control',
        success: true,
        preference: { winner: 'tie', judge: 'j' },
      },
      { backend: 'perplexity', cohort: 'control', success: true, shadow: { success: 'yes' } },
    ]);
    expect(refused.status).toBe(400);
    const problems = (refused.body as { problems: { field: string; message: string }[] }).problems;
    expect(problems.map((problem) => problem.field)).toEqual([
      'outcome.shadow',
      'outcome.preference',
      'outcome.shadow.success',
    ]);
    expect(problems[0]!.message).toContain('for a query Perplexity served');

    const live = (await fetch(`${url}/v1/experiment/shadow?sequential=false`).then((response) =>
      response.json(),
    )) as ShadowReport;
    expect(live).toMatchObject({ kind: 'shadow', unit: 'user', pairs: batch.length, units: 60 });
    const quality = live.metrics.find((metric) => metric.metric === 'quality_score')!;
    expect(quality.units).toBe(60);
    expect(quality.verdict).toBe('lightrag_better');
    expect(live.preferences[0]).toMatchObject({ judge: 'judge-model' });

    const metrics = parseMetrics(await fetch(`${url}/metrics`).then((response) => response.text()));
    const shadowCalls = metrics.get('flagroute_shadow_outcomes_total')!.metrics;
    const calls = shadowCalls.reduce((sum, sample) => sum + Number(sample.value), 0);
    expect(calls).toBe(batch.length);
    const cost = Number(metrics.get('flagroute_shadow_cost_usd_total')!.metrics[0]!.value);
    expect(cost).toBeCloseTo(0.003 * batch.length, 9);
    // The served cost per query is Perplexity's alone: the shadow's cost is not in it.
    const summary = (await fetch(`${url}/v1/summary`).then((response) => response.json())) as {
      performance: { perplexity: { avg_cost_usd?: number } };
    };
    expect(summary.performance.perplexity.avg_cost_usd).toBeCloseTo(0.002, 12);

    expect(await server.stop()).toBe(0);
    const files = readdirSync(events).map((name) => join(events, name));
    const report = await runCli([
      'experiment',
      'report',
      '--shadow',
      '--events',
      ...files,
      '--sequential',
      '--json',
    ]);
    expect(report.stderr).toBe('');
    const fromFiles = JSON.parse(report.stdout) as ShadowReport;
    expect(fromFiles.pairs).toBe(batch.length);
    // The same pairs, analysed from the log, give the live process's report.
    for (const [index, metric] of fromFiles.metrics.entries()) {
      const other = live.metrics[index]!;
      expect(metric.units).toBe(other.units);
      expect(metric.difference).toBeCloseTo(other.difference!, 12);
      expect(metric.p_value).toBeCloseTo(other.p_value!, 12);
    }
  });
});

describe('a shadow decision through a real flagroute serve', () => {
  it('/v1/decide and OFREP say shadow: lightrag, the token carries it; its pair is taken by token, a pair for an unshadowed decision is refused', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': `${BODY}shadow: { percentage: 50, max_per_second: 1000 }\n`,
    });
    const server = startCli(['serve', '--config-dir', temp.dir, '--port', '0'], {
      env: {
        FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN,
        FLAGROUTE_DECISION_KEY: 'k1:the-decision-key-of-the-shadow-test-0123456789',
      },
    });
    const url = await waitFor(
      'the server to listen',
      () => /listening on (\S+)/.exec(server.output())?.[1],
    );
    const decisions = await Promise.all(
      Array.from({ length: 60 }, async (_, index) => {
        const answer = await post(`${url}/v1/decide`, {
          userId: `user-${index}`,
          requestId: `request-${index}`,
        });
        expect(answer.status).toBe(200);
        return answer.body as {
          cohort: string;
          shadow?: string;
          decisionToken: string;
          decisionId: string;
        };
      }),
    );
    const shadowed = decisions.filter((decision) => decision.shadow === 'lightrag');
    const plain = decisions.filter(
      (decision) => decision.shadow === undefined && decision.cohort !== 'lightrag',
    );
    expect(shadowed.length).toBeGreaterThan(10);
    expect(plain.length).toBeGreaterThan(10);
    expect(shadowed.every((decision) => decision.cohort !== 'lightrag')).toBe(true);
    // The budget's answers, in /readyz's detail and in /metrics.
    const ready = (await fetch(`${url}/readyz`).then((response) => response.json())) as {
      shadow: { percentage: number; admitted: number; refused: number; maxPerSecond: number };
    };
    expect(ready.shadow).toMatchObject({
      percentage: 50,
      layer: 'file',
      admitted: shadowed.length,
      refused: 0,
      maxPerSecond: 1000,
    });
    const scraped = await fetch(`${url}/metrics`).then((response) => response.text());
    expect(scraped).toContain(
      `flagroute_shadow_budget_total{result="admitted"} ${shadowed.length}`,
    );
    expect(scraped).toContain('flagroute_shadow_budget_total{result="refused"} 0');

    const user = shadowed[0]!;
    const index = decisions.indexOf(user);
    const ofrep = await post(`${url}/ofrep/v1/evaluate/flags/backend`, {
      context: { targetingKey: `user-${index}`, requestId: `request-${index}` },
    });
    expect(ofrep.body).toMatchObject({
      value: 'perplexity',
      metadata: { shadow: 'lightrag' },
    });

    const pair = (token: string) => ({
      decisionToken: token,
      success: true,
      latencyMs: 900,
      quality: 0.7,
      shadow: { success: true, latencyMs: 1100, quality: 0.8, costUsd: 0.003 },
      preference: { winner: 'lightrag', judge: 'judge-model' },
    });
    const taken = await postOutcomes(`${url}/v1/outcomes`, pair(user.decisionToken));
    expect(taken).toMatchObject({ status: 200, body: { recorded: 1 } });
    const refused = await postOutcomes(`${url}/v1/outcomes`, pair(plain[0]!.decisionToken));
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('is for a decision picked for the shadow');
    // By decision id, the same: the ledger remembers which decisions were picked (and for
    // whom: the outcome names the decision's own user).
    const byId = (decision: (typeof decisions)[number]) => {
      const { decisionToken: _token, ...rest } = pair('');
      const userId = `user-${decisions.indexOf(decision)}`;
      return { ...rest, decisionId: decision.decisionId, userId };
    };
    const refusedById = await postOutcomes(`${url}/v1/outcomes`, byId(plain[1]!));
    expect(refusedById.status).toBe(400);
    expect(JSON.stringify(refusedById.body)).toContain('is for a decision picked for the shadow');
    const takenById = await postOutcomes(`${url}/v1/outcomes`, byId(shadowed[1]!));
    expect(takenById).toMatchObject({ status: 200, body: { recorded: 1 } });
    const live = (await fetch(`${url}/v1/experiment/shadow`).then((response) =>
      response.json(),
    )) as ShadowReport;
    expect(live).toMatchObject({ pairs: 2 });
    expect(await server.stop()).toBe(0);
  });
});
