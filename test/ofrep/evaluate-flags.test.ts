import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  evaluateFlag,
  evaluateFlagNow,
  evaluateFlags,
  trackOutcome,
} from '../../src/ofrep/index.js';
import { DecisionLedger, type OutcomeEvent } from '../../src/outcomes/index.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

async function setUp() {
  const temp = await tempConfigDir({
    'environments/development.yaml':
      'rollout_percentage: 50\nenable_ab_testing: true\nrollback_triggers: {enabled: false}\n',
  });
  const router = await testRouter({
    configDir: temp.dir,
    env: {},
    logger: silentLogger(),
    watch: false,
  });
  return { router, ledger: new DecisionLedger() };
}

describe('the OFREP core (no HTTP framework)', () => {
  it('evaluates as the router decides: one decision for every flag, remembered for its outcome', async () => {
    const { router, ledger } = await setUp();
    for (let index = 0; index < 50; index += 1) {
      const context = { targetingKey: `user-${index}`, region: 'eu' };
      const expected = await router.decide({ userId: context.targetingKey, region: 'eu' });
      const { flags, metadata } = await evaluateFlags(router, ledger, context);
      expect(metadata.configVersion).toBe(router.config.version);
      expect(flags.map((flag) => [flag.key, flag.value])).toEqual([
        ['backend', expected.backend],
        ['cohort', expected.cohort],
        ['bucket', expected.bucket],
      ]);
      expect(new Set(flags.map((flag) => flag.metadata.decisionId)).size).toBe(1);
      const single = await evaluateFlag(router, ledger, 'backend', context, 'string');
      expect(single).toMatchObject({ key: 'backend', value: expected.backend, reason: 'SPLIT' });
      expect(ledger.find(String(single.metadata.decisionId))).toMatchObject({
        backend: expected.backend,
      });
    }
  });

  it('evaluates synchronously when every rule allows it, through a promise when a rule needs the engine run', async () => {
    const { router, ledger } = await setUp();
    expect(router.supportsSyncDecisions).toBe(true);
    const now = evaluateFlagNow(router, ledger, 'bucket', { targetingKey: 'ann' }, 'number');
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toMatchObject({ key: 'bucket', value: router.bucketOf({ userId: 'ann' }) });
    expect(() => evaluateFlagNow(router, ledger, 'dark-mode', {})).toThrow(
      expect.objectContaining({ code: 'FLAG_NOT_FOUND' }),
    );

    const temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 100\nenable_conditional_routing: true\nrule_files: [rules/r.yaml]\nrollback_triggers: {enabled: false}\n',
      'rules/r.yaml':
        'routing_rules:\n  gold:\n    conditions:\n      all: [{ fact: account, path: $.tier, operator: equal, value: gold }]\n',
    });
    const engineRun = await testRouter({
      configDir: temp.dir,
      env: {},
      logger: silentLogger(),
      watch: false,
    });
    expect(engineRun.supportsSyncDecisions).toBe(false);
    for (const tier of ['gold', 'tin']) {
      const context = { targetingKey: 'bo', account: { tier } };
      const later = evaluateFlagNow(engineRun, ledger, 'backend', context);
      expect(later).toBeInstanceOf(Promise);
      const expected = await engineRun.decide({ userId: 'bo', attributes: { account: { tier } } });
      expect(await later).toMatchObject({
        value: expected.backend,
        metadata: { reason: tier === 'gold' ? 'rollout_percentage' : 'conditional_rule' },
      });
    }
  });

  it('gives the bucket flag of a decision that stopped before assignment, hashing it then', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml':
        'integration_enabled: false\nrollout_percentage: 50\nrollback_triggers: {enabled: false}\n',
    });
    const router = await testRouter({
      configDir: temp.dir,
      env: {},
      logger: silentLogger(),
      watch: false,
    });
    const ledger = new DecisionLedger();
    const { flags } = await evaluateFlags(router, ledger, { targetingKey: 'cy' });
    expect(flags.map((flag) => [flag.key, flag.value, flag.reason])).toEqual([
      ['backend', 'perplexity', 'DISABLED'],
      ['cohort', 'none', 'DISABLED'],
      ['bucket', router.bucketOf({ userId: 'cy' }), 'DISABLED'],
    ]);
  });

  it('refuses with codes: the flag and its type first, then the context', async () => {
    const { router, ledger } = await setUp();
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (e) => e.code,
      );
    expect(await refusal(evaluateFlag(router, ledger, 'dark-mode', {}))).toBe('FLAG_NOT_FOUND');
    expect(await refusal(evaluateFlag(router, ledger, 'bucket', {}, 'string'))).toBe(
      'TYPE_MISMATCH',
    );
    expect(await refusal(evaluateFlag(router, ledger, 'cohort', { region: 'eu' }))).toBe(
      'TARGETING_KEY_MISSING',
    );
    expect(await refusal(evaluateFlags(router, ledger, 'a'))).toBe('INVALID_CONTEXT');
    expect(
      await refusal(evaluateFlags(router, ledger, { targetingKey: 'a', queryComplexity: -3 })),
    ).toBe('INVALID_CONTEXT');
  });

  it("records a tracked outcome against the ledger's decision, the user from the context", async () => {
    const { router, ledger } = await setUp();
    const lines: OutcomeEvent[] = [];
    router.addOutcomeSink({ write: (line) => lines.push(line) });
    const flag = await evaluateFlag(router, ledger, 'cohort', { targetingKey: 'bob' });
    const decisionId = String(flag.metadata.decisionId);
    expect(
      trackOutcome(router, ledger, { decisionId, success: true, latencyMs: 900 }, 'bob'),
    ).toEqual({ recorded: 1, duplicates: 0 });
    expect(lines).toEqual([expect.objectContaining({ decisionId, latencyMs: 900, success: true })]);
    expect(lines[0]!.unit).toMatch(/^[0-9a-f]{32}$/);
    expect(() => trackOutcome(router, ledger, { decisionId, success: true }, 'bob')).toThrow(
      expect.objectContaining({ code: 'INVALID_OUTCOME', field: 'decisionId' }),
    );
    expect(() => trackOutcome(router, ledger, { success: true })).toThrow(/decisionId is required/);
  });

  it('loads neither fastify nor the OpenFeature SDK', async () => {
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(join(REPO_DIR, 'dist', 'ofrep', 'index.js'))});
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      script,
    ]);
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded.some((path) => path.includes('/node_modules/json-rules-engine/'))).toBe(true);
    expect(loaded.filter((path) => /node_modules\/(fastify|@openfeature)\//.test(path))).toEqual(
      [],
    );
  });
});
