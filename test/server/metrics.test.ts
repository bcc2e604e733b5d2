import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerMetrics } from '../../src/observability/prometheus.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { parseMetrics } from '../helpers/prometheus-text.js';
import { routerIn } from '../helpers/test-router.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const BODY =
  'rollout_percentage: 50\nenable_ab_testing: true\nenable_quality_metrics: false\nrollback_triggers: {enabled: false}\n';

describe('Prometheus metrics', () => {
  it('GET /metrics: decisions by label, sufficient statistics per cohort, state, reloads', async () => {
    const temp = await tempConfigDir({ [ENV]: BODY });
    const server = await testServer({
      configDir: temp.dir,
      watch: false,
      ingestToken: INGEST_TOKEN,
    });
    const cohorts: Record<string, number[]> = { lightrag: [], perplexity: [] };
    for (let index = 0; index < 400; index += 1) {
      const decided = (await post(`${server.url}/v1/decide`, { userId: `secret-user-${index}` }))
        .body as {
        decisionId: string;
        cohort: string;
      };
      if (decided.cohort === 'control') continue;
      const quality = (index % 10) / 10;
      cohorts[decided.cohort]!.push(quality);
      await postOutcomes(`${server.url}/v1/outcomes`, {
        decisionId: decided.decisionId,
        success: index % 7 !== 0,
        latencyMs: 1000 + index,
        quality,
      });
    }
    await writeFile(join(temp.dir, ENV), 'rollout_percentage: 900\n');
    await server.router.reload();

    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).not.toContain('secret-user');
    const metrics = parseMetrics(text);

    const decisions = metrics.get('flagroute_decisions_total')!;
    expect(decisions.type).toBe('COUNTER');
    const total = decisions.metrics.reduce((sum, sample) => sum + Number(sample.value), 0);
    expect(total).toBe(400);
    expect(
      decisions.metrics.every((sample) => sample.labels?.reason === 'user_cohort_assignment'),
    ).toBe(true);

    const moments = server.router.outcomeMoments();
    for (const cohort of ['lightrag', 'perplexity'] as const) {
      const find = (name: string) =>
        Number(
          metrics
            .get(name)!
            .metrics.find(
              (sample) =>
                sample.labels?.cohort === cohort && sample.labels?.metric === 'quality_score',
            )!.value,
        );
      const qualities = cohorts[cohort]!;
      expect(find('flagroute_outcome_metric_count')).toBe(qualities.length);
      expect(find('flagroute_outcome_metric_sum')).toBeCloseTo(
        qualities.reduce((a, b) => a + b, 0),
        9,
      );
      expect(find('flagroute_outcome_metric_sum_of_squares')).toBeCloseTo(
        qualities.reduce((a, b) => a + b * b, 0),
        9,
      );
      expect(find('flagroute_outcome_metric_count')).toBe(moments[cohort].quality_score.n);
    }

    const latency = metrics.get('flagroute_outcome_latency_seconds')!;
    expect(latency.type).toBe('HISTOGRAM');
    expect(metrics.get('flagroute_circuit_breaker_state')!.metrics).toContainEqual({
      labels: { state: 'closed' },
      value: '1',
    });
    expect(metrics.get('flagroute_rollout_percentage')!.metrics[0]!.value).toBe('50');
    expect(metrics.get('flagroute_reloads_total')!.metrics).toContainEqual({
      labels: { result: 'error' },
      value: '1',
    });
    expect(metrics.get('flagroute_log_lines_dropped_total')!.metrics[0]!.value).toBe('0');
    expect(metrics.get('flagroute_config_info')!.metrics[0]!.labels).toMatchObject({
      environment: 'development',
    });
  });

  it('a library user registers the same metrics on their own registry', async () => {
    const { router } = await routerIn({ [ENV]: BODY });
    const registry = new Registry();
    const unregister = registerMetrics(router, registry);
    const decision = await router.decide({ userId: 'a' });
    router.recordOutcome(decision, { success: true, latencyMs: 2500 });
    const metrics = parseMetrics(await registry.metrics());
    expect(metrics.get('flagroute_outcomes_total')!.metrics[0]).toMatchObject({
      labels: { backend: decision.backend, success: 'true' },
      value: '1',
    });
    unregister();
    router.recordOutcome(decision, { success: true, latencyMs: 2500 });
    expect(
      parseMetrics(await registry.metrics()).get('flagroute_outcomes_total')!.metrics[0]!.value,
    ).toBe('1');
  });
});
