import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerOutcomeRefusalMetrics } from '../../src/observability/index.js';
import { FlagrouteProvider } from '../../src/openfeature/provider.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';

async function setUp(domain: string) {
  const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 60\nenable_ab_testing: true\n' });
  const router = await testRouter({ configDir: temp.dir, env: {}, logger: silentLogger() });
  const provider = new FlagrouteProvider(router);
  await OpenFeature.setProviderAndWait(domain, provider);
  return { router, provider, client: OpenFeature.getClient(domain), dir: temp.dir };
}

describe('FlagrouteProvider (in-process OpenFeature provider)', () => {
  it('resolves backend, cohort and bucket as the router decides, and mismatched types as the SDK expects', async () => {
    const { router, client } = await setUp('in-process');
    try {
      for (let index = 0; index < 200; index += 1) {
        const context = { targetingKey: `user-${index}`, region: 'eu' };
        const expected = await router.decide({ userId: context.targetingKey, region: 'eu' });
        const backend = await client.getStringDetails('backend', 'perplexity', context);
        expect(backend).toMatchObject({
          value: expected.backend,
          variant: expected.cohort ?? 'none',
          reason: 'SPLIT',
          flagMetadata: { reason: expected.reason, configVersion: expected.configVersion },
        });
        expect(await client.getStringValue('cohort', 'none', context)).toBe(expected.cohort);
        expect(await client.getNumberValue('bucket', -1, context)).toBe(expected.bucket);
      }
      const wrongType = await client.getBooleanDetails('backend', false, { targetingKey: 'a' });
      expect(wrongType).toMatchObject({ value: false, errorCode: 'TYPE_MISMATCH' });
      const missing = await client.getStringDetails('dark-mode', 'off', { targetingKey: 'a' });
      expect(missing).toMatchObject({ value: 'off', errorCode: 'FLAG_NOT_FOUND' });
      const anonymous = await client.getStringDetails('backend', 'perplexity', {});
      expect(anonymous).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
      const bad = await client.getStringDetails('backend', 'perplexity', {
        targetingKey: 'a',
        queryComplexity: -3,
      });
      expect(bad).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    } finally {
      await OpenFeature.clearProviders();
    }
  });

  it('track("outcome") records the outcome of the decision it names', async () => {
    const { router, client } = await setUp('tracking');
    try {
      const details = await client.getStringDetails('backend', 'perplexity', { targetingKey: 'a' });
      client.track(
        'outcome',
        { targetingKey: 'a' },
        {
          decisionId: details.flagMetadata.decisionId as string,
          success: true,
          latencyMs: 1500,
          quality: 0.9,
        },
      );
      const summary = router.getPerformanceSummary();
      expect(summary.performance[details.value as 'lightrag' | 'perplexity'].success_count).toBe(1);
    } finally {
      await OpenFeature.clearProviders();
    }
  });

  it('counts the outcomes track refused by reason, for the registry a server exports them on', async () => {
    const { router, provider, client } = await setUp('refusals');
    try {
      const details = await client.getStringDetails('backend', 'perplexity', { targetingKey: 'a' });
      const decisionId = details.flagMetadata.decisionId as string;
      // The SDK swallows what track throws: the count is the only trace of the refusal.
      client.track('outcome', { targetingKey: 'b' }, { decisionId, success: true });
      client.track('outcome', { targetingKey: 'a' }, { decisionId, success: true, userId: 'c' });
      expect(Object.fromEntries(provider.outcomeRefusals.byReason())).toEqual({ user_mismatch: 2 });
      const summary = router.getPerformanceSummary();
      expect(summary.performance[details.value as 'lightrag' | 'perplexity'].success_count).toBe(0);

      const registry = new Registry();
      registerOutcomeRefusalMetrics(provider.outcomeRefusals, registry);
      const [metric] = (await registry.getMetricsAsJSON()).filter(
        (each) => each.name === 'flagroute_outcomes_refused_total',
      );
      expect(metric?.values).toEqual([{ labels: { reason: 'user_mismatch' }, value: 2 }]);
    } finally {
      await OpenFeature.clearProviders();
    }
  });

  it('emits PROVIDER_CONFIGURATION_CHANGED on a reload and PROVIDER_ERROR on a failed one', async () => {
    const { client, dir } = await setUp('events');
    try {
      const changed = new Promise((resolve) =>
        client.addHandler(ProviderEvents.ConfigurationChanged, resolve),
      );
      await writeFile(join(dir, ENV), 'rollout_percentage: 61\n');
      expect(await changed).toMatchObject({ metadata: { configVersion: expect.any(String) } });
      const failed = new Promise((resolve) => client.addHandler(ProviderEvents.Error, resolve));
      await writeFile(join(dir, ENV), 'rollout_percentage: 610\n');
      expect(await failed).toMatchObject({ message: expect.stringContaining('reload rejected') });
    } finally {
      await OpenFeature.clearProviders();
    }
  });
});
