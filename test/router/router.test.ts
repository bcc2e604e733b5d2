import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/issues.js';
import { InvalidContextError, SyncDecisionUnavailableError } from '../../src/decision/context.js';
import { createRouter } from '../../src/router/create-router.js';
import { loggedElapsedMs } from '../../src/router/decision-line.js';
import type { Router } from '../../src/router/router.js';
import { type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { capturingLogger, silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

let temp: TempConfigDir | undefined;
let router: Router | undefined;

async function routerWith(body: string, logger = silentLogger()) {
  temp = await tempConfigDir({ 'environments/development.yaml': body });
  router = await testRouter({ configDir: temp.dir, env: {}, logger, clock: new FakeClock() });
  return router;
}

describe('createRouter', () => {
  it('fails with every problem when the configuration is invalid', async () => {
    temp = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 150\nenable_ab_testing: 3\n',
    });
    const attempt = createRouter({
      configDir: temp.dir,
      env: {},
      cwd: temp.dir,
      logger: silentLogger(),
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(
      /environments\/development.yaml:1:21: rollout_percentage must be a number from 0 to 100, got 150\nenvironments\/development.yaml:2:20: enable_ab_testing must be true or false, got 3/,
    );
  });

  it('takes the environment from FLAGROUTE_ENV in the variables it is given', async () => {
    temp = await tempConfigDir({ 'environments/staging.yaml': 'rollout_percentage: 42\n' });
    router = await testRouter({
      configDir: temp.dir,
      env: { FLAGROUTE_ENV: 'staging' },
      logger: silentLogger(),
    });
    expect(router.environment).toBe('staging');
    expect(router.settings.rollout_percentage).toBe(42);
  });
});

describe('Router.decide', () => {
  it('rejects a malformed context with a clear error instead of routing it', async () => {
    const r = await routerWith('rollout_percentage: 50\n');
    await expect(r.decide({ userId: 42 as unknown as string })).rejects.toThrow(
      new InvalidContextError('userId', 'must be a string, got number'),
    );
    await expect(r.decide({ userId: 'a', queryComplexity: -1 })).rejects.toThrow(
      'invalid routing context: queryComplexity must be a finite number of at least 0, got -1',
    );
    await expect(r.decide({ userId: 'a\ud800' })).rejects.toThrow(/lone UTF-16 surrogate/);
    await expect(r.decide({ attributes: JSON.parse('{"__proto__": 1}') })).rejects.toThrow(
      /attributes.__proto__/,
    );
    await expect(
      r.decide({ userId: 'a', attributes: { plan: () => 'enterprise' } }),
    ).rejects.toThrow(
      'invalid routing context: attributes.plan must be data (a function is not allowed)',
    );
  });

  it('falls back with evaluation_error and logs when deciding fails inside', async () => {
    const { logger, lines } = capturingLogger();
    const r = await routerWith(
      'rollout_percentage: 100\nenable_conditional_routing: true\n',
      logger,
    );
    const attributes = {};
    Object.defineProperty(attributes, 'plan', {
      enumerable: true,
      get() {
        throw new Error('attribute getter exploded');
      },
    });
    const decision = await r.decide({ userId: 'a', attributes });
    expect(decision).toMatchObject({ backend: 'perplexity', reason: 'evaluation_error' });
    expect(
      lines.some(
        (line) => line.level === 50 && JSON.stringify(line).includes('attribute getter exploded'),
      ),
    ).toBe(true);
  });

  it('reports the config version, and the time taken only when timing was asked', async () => {
    const r = await routerWith('rollout_percentage: 100\n');
    const decision = await r.decide({ userId: 'a' });
    expect(decision.configVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(decision.configVersion).toBe(r.status().configVersion);
    expect(decision.elapsedMs).toBeUndefined();
    expect(JSON.stringify(decision)).not.toContain('elapsedMs');
    expect((await r.explain({ userId: 'a' })).decision.elapsedMs).toBeGreaterThanOrEqual(0);
    await r.close();
    const timed = await testRouter({
      configDir: temp!.dir,
      env: {},
      logger: silentLogger(),
      clock: new FakeClock(),
      timeDecisions: true,
    });
    expect(timed.decideSync({ userId: 'a' }).elapsedMs).toBeGreaterThanOrEqual(0);
    expect((await timed.decide({ userId: 'a' })).elapsedMs).toBeGreaterThanOrEqual(0);
    await timed.close();
  });

  it('times every decision while detailed logging is on, and logs the time', async () => {
    const { logger, lines } = capturingLogger();
    logger.level = 'debug';
    const r = await routerWith(
      'rollout_percentage: 100\nenable_detailed_logging: true\nlog_level: debug\n',
      logger,
    );
    const decision = await r.decide({ userId: 'a' });
    expect(decision.elapsedMs).toBeGreaterThanOrEqual(0);
    const logged = lines.find((line) => line.msg === 'decision') as
      | { decision: Record<string, unknown> }
      | undefined;
    expect(logged?.decision).toMatchObject({
      userId: 'a',
      backend: decision.backend,
      reason: decision.reason,
      bucket: decision.bucket,
      elapsedMs: loggedElapsedMs(decision.elapsedMs),
    });
    expect(logged?.decision.elapsedMs).toBeCloseTo(decision.elapsedMs ?? Number.NaN, 3);
  });
});

describe('Router.updateRolloutPercentage', () => {
  it('takes effect on the next decision', async () => {
    const r = await routerWith('rollout_percentage: 100\n');
    expect((await r.decide({ userId: 'alice' })).backend).toBe('lightrag');
    r.updateRolloutPercentage(0, { reason: 'emergency' });
    const decision = await r.decide({ userId: 'alice' });
    expect(decision).toMatchObject({ backend: 'perplexity', rolloutPercentage: 0 });
    expect(r.status().rollback).toMatchObject({
      trigger: 'manual',
      reason: 'emergency',
      previousPercentage: 100,
      persisted: false,
    });
    expect(r.status().rolloutOrigin).toBe('kill switch (engaged in this process: emergency)');
  });

  it.each([150, -1, Number.NaN])('rejects %s and changes nothing', async (value) => {
    const r = await routerWith('rollout_percentage: 30\n');
    await expect(r.updateRolloutPercentage(value)).rejects.toThrow(
      /rollout percentage must be a number from 0 to 100/,
    );
    expect(r.settings.rollout_percentage).toBe(30);
  });
});

describe('recording outcomes', () => {
  it('rejects bad values and changes nothing', async () => {
    const r = await routerWith('rollout_percentage: 100\ncircuit_breaker_threshold: 1\n');
    expect(() => r.recordSuccess('lightrag', -1)).toThrow(
      'responseTimeSeconds must be a number of seconds from 0 to 3600 (one hour), got -1',
    );
    expect(() => r.recordSuccess('lightrag', 3600.001)).toThrow(
      'responseTimeSeconds must be a number of seconds from 0 to 3600 (one hour), got 3600.001',
    );
    expect(() => r.recordSuccess('lightrag', 1, 1.5)).toThrow(
      'qualityScore must be a number from 0 to 1, got 1.5',
    );
    expect(() => r.recordFailure('gpt' as 'lightrag')).toThrow(
      'backend must be "lightrag" or "perplexity", got "gpt"',
    );
    expect(r.getPerformanceSummary().circuit_breaker.total_requests).toBe(0);
  });
});

describe('Router.decideSync', () => {
  it('decides exactly as decide does when every rule compiles', async () => {
    temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 30\nenable_ab_testing: true\nenable_conditional_routing: true\nrule_files: [rules/r.yaml]\n',
      'rules/r.yaml':
        'routing_rules:\n  long: { type: query_length, min_length: 10 }\n  typed: { type: query_type, allowed_types: [clinical] }\ngeographic_routing:\n  europe: { rollout_percentage: 60 }\n',
    });
    router = await testRouter({
      configDir: temp.dir,
      env: {},
      logger: silentLogger(),
      watch: false,
    });
    expect(router.supportsSyncDecisions).toBe(true);
    for (let index = 0; index < 500; index += 1) {
      const context = {
        userId: `u${index}`,
        queryText: 'q'.repeat(index % 20),
        queryType: index % 3 ? 'clinical' : 'other',
        region: index % 2 ? 'europe' : 'asia',
      };
      const { elapsedMs: _a, rules: syncRules, ...sync } = router.decideSync(context);
      const { elapsedMs: _b, rules: asyncRules, ...async } = await router.decide(context);
      expect(sync).toEqual(async);
      expect(JSON.parse(JSON.stringify(syncRules))).toEqual(JSON.parse(JSON.stringify(asyncRules)));
    }
    expect(() => router?.decideSync({ userId: 7 as unknown as string })).toThrow(
      InvalidContextError,
    );
  });

  it('refuses, naming the rules, when a rule needs the engine run', async () => {
    temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 30\nenable_conditional_routing: true\nrule_files: [rules/r.yaml]\n',
      'rules/r.yaml':
        'routing_rules:\n  gold:\n    conditions:\n      all: [{ fact: account, path: $.tier, operator: equal, value: gold }]\n',
    });
    router = await testRouter({
      configDir: temp.dir,
      env: {},
      logger: silentLogger(),
      watch: false,
    });
    expect(router.supportsSyncDecisions).toBe(false);
    expect(() => router?.decideSync({ userId: 'a' })).toThrow(SyncDecisionUnavailableError);
    expect(() => router?.decideSync({ userId: 'a' })).toThrow(
      /rule gold uses shared conditions, path, params or fact references/,
    );
    const decision = await router.decide({
      userId: 'a',
      attributes: { account: { tier: 'gold' } },
    });
    expect(decision.rules).toEqual([expect.objectContaining({ name: 'gold', matched: true })]);
  });
});

describe('Router.reload', () => {
  it('runs reloads one at a time, in call order, so the newest file wins', async () => {
    const r = await routerWith('rollout_percentage: 1\n');
    const file = `${temp!.dir}/environments/development.yaml`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, 'rollout_percentage: 2\n');
    const first = r.reload();
    const second = (async () => {
      await writeFile(file, 'rollout_percentage: 3\n');
      return r.reload();
    })();
    const outcomes = await Promise.all([first, second]);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(r.settings.rollout_percentage).toBe(3);
  });
});
