import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { DecisionTokens, parseDecisionKeys } from '../../src/decision-tokens/index.js';
import { DecisionLedger } from '../../src/outcomes/index.js';
import { FileRuntimeLayer, rollBack, setShadow } from '../../src/rollout-layers/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { routerIn } from '../helpers/test-router.js';

const environment = (settings: string) => ({
  'environments/development.yaml': `rollout_percentage: 20
enable_ab_testing: true
user_hash_salt: shadow-selection-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: true
circuit_breaker_threshold: 2
enable_quality_metrics: false
${settings}`,
});

const users = (count: number) => Array.from({ length: count }, (_, index) => `user-${index}`);

describe('who is shadowed', () => {
  it('a share of the queries Perplexity serves at assignment, never the LightRAG arm; a retry draws the same', async () => {
    const { router } = await routerIn(
      environment('shadow: { percentage: 30, max_per_second: 100000 }\n'),
    );
    let shadowed = 0;
    let served = 0;
    for (const userId of users(2000)) {
      const decision = router.decideSync({ userId, requestId: `${userId}-r1` });
      if (decision.cohort === 'lightrag') {
        expect(decision.shadow).toBeUndefined();
        continue;
      }
      served += 1;
      if (decision.shadow === 'lightrag') shadowed += 1;
      // The same request (a retry) gets the same answer; another request draws again.
      const again = router.decideSync({ userId, requestId: `${userId}-r1` });
      expect(again.shadow).toBe(decision.shadow);
    }
    expect(shadowed / served).toBeGreaterThan(0.26);
    expect(shadowed / served).toBeLessThan(0.34);
    // Without a request id the query text is the request's key.
    const byText = router.decideSync({ userId: 'user-7', queryText: 'what is RAG?' });
    expect(router.decideSync({ userId: 'user-7', queryText: 'what is RAG?' }).shadow).toBe(
      byText.shadow,
    );
  });

  it('never for a query the eligibility rules refuse, nor a forced cohort, nor with the integration off', async () => {
    const { router } = await routerIn({
      ...environment(`shadow: { percentage: 100, max_per_second: 100000 }
enable_conditional_routing: true
rule_files: [rules/short.yaml]
`),
      'rules/short.yaml': 'routing_rules:\n  short: { type: query_length, max_length: 20 }\n',
    });
    const eligible = router.decideSync({ userId: 'user-1', queryText: 'short' });
    if (eligible.cohort !== 'lightrag') expect(eligible.shadow).toBe('lightrag');
    const refused = router.decideSync({ userId: 'user-1', queryText: 'x'.repeat(40) });
    expect(refused.reason).toBe('conditional_rule');
    expect(refused.shadow).toBeUndefined();
    for (const setting of ['force_user_cohort: perplexity', 'integration_enabled: false']) {
      const other = await routerIn(
        environment(`shadow: { percentage: 100, max_per_second: 100000 }\n${setting}\n`),
      );
      for (const userId of users(50)) {
        expect(other.router.decideSync({ userId }).shadow, setting).toBeUndefined();
      }
    }
  });

  it('the per-process budget: at most max_per_second a second on the router clock', async () => {
    const clock = new FakeClock();
    const { router } = await routerIn(
      environment('shadow: { percentage: 100, max_per_second: 5 }\n'),
      { clock },
    );
    const fallback = users(400).filter(
      (userId) => router.decideSync({ userId, requestId: 'probe' }).cohort !== 'lightrag',
    );
    clock.advance(10_000);
    const picked = () =>
      fallback.filter(
        (userId, index) => router.decideSync({ userId, requestId: `q${index}` }).shadow,
      ).length;
    expect(picked()).toBe(5);
    expect(picked()).toBe(0);
    clock.advance(400);
    expect(picked()).toBe(2);
    // Every answer is counted: the probes' 5 of the first second, then 5 + 2 admitted.
    const { admitted, refused, maxPerSecond } = router.status().shadowBudget;
    expect({ admitted, maxPerSecond }).toEqual({ admitted: 5 + 5 + 2, maxPerSecond: 5 });
    expect(admitted + refused).toBe(4 * fallback.length);
  });

  it('never while the breaker is open or half-open, nor under the kill switch; the runtime layer (a shadow stage) sets the share', async () => {
    const { router, dir } = await routerIn(environment(''));
    const user = users(200).find(
      (userId) => router.decideSync({ userId }).cohort === 'perplexity',
    )!;
    // The file's default is 0: nobody.
    expect(router.decideSync({ userId: user }).shadow).toBeUndefined();
    const config = await loadConfig({ configDir: dir, environment: 'development', env: {} });
    const target = { config, store: new FileRuntimeLayer(config) };
    const edit = await setShadow(target, {
      shadowPercentage: 100,
      setBy: 'plan',
      reason: 'shadow stage',
      at: new Date(),
    });
    expect(edit.message).toMatch(
      /^shadow 100 % of the queries Perplexity serves, rollout 20 % -> 0 %/,
    );
    await router.reload();
    const shadowed = router.decideSync({ userId: user });
    expect(shadowed).toMatchObject({ backend: 'perplexity', shadow: 'lightrag' });
    expect(router.status()).toMatchObject({
      rolloutPercentage: 0,
      shadow: { percentage: 100, layer: 'runtime' },
    });
    const explained = await router.explain({ userId: user, requestId: 'r' });
    expect(explained.steps.at(-1)!.detail).toMatch(/picked for the shadow/);

    // Two candidate failures open the breaker: no shadow while it is open.
    for (let count = 0; count < 2; count += 1) {
      router.recordOutcome({ backend: 'lightrag', cohort: 'lightrag' }, { success: false });
    }
    expect(router.decideSync({ userId: user }).shadow).toBeUndefined();
    router.resetCircuitBreaker();
    expect(router.decideSync({ userId: user }).shadow).toBe('lightrag');

    const killed = await loadConfig({ configDir: dir, environment: 'development', env: {} });
    await rollBack(
      { config: killed, store: new FileRuntimeLayer(killed) },
      {
        reason: 'pager',
        at: new Date(),
      },
    );
    await router.reload();
    const underKill = await router.explain({ userId: user });
    expect(underKill.decision.shadow).toBeUndefined();
    expect(underKill.steps[0]!.detail).toMatch(/and no query is shadowed/);
  });

  it('the decision token carries the shadow claim', async () => {
    const { router } = await routerIn(
      environment('shadow: { percentage: 100, max_per_second: 100000 }\n'),
    );
    const tokens = new DecisionTokens({
      keys: parseDecisionKeys('k1:a-decision-key-of-thirty-two-bytes-or-more-0123'),
    });
    const ledger = new DecisionLedger({ tokens });
    const user = users(200).find((userId) => router.decideSync({ userId }).cohort !== 'lightrag')!;
    const context = { userId: user, requestId: 'r1' };
    const decision = router.decideSync(context);
    expect(decision.shadow).toBe('lightrag');
    const issued = router.issueDecision(decision, context, ledger);
    expect(tokens.check(issued.decisionToken!)).toMatchObject({
      ok: true,
      claims: { shadow: true },
    });
  });

  it('router.recordOutcome checks the selection as POST /v1/outcomes does: a pair for a decision not picked is refused', async () => {
    const { router } = await routerIn(
      environment('shadow: { percentage: 50, max_per_second: 100000 }\n'),
    );
    const served = users(400)
      .map((userId) => router.decideSync({ userId, requestId: 'r1' }))
      .filter((decision) => decision.cohort === 'perplexity');
    const picked = served.find((decision) => decision.shadow === 'lightrag')!;
    const unpicked = served.find((decision) => decision.shadow === undefined)!;
    const pair = { success: true, shadow: { success: true, quality: 0.8 } };
    router.recordOutcome(picked, pair);
    expect(() => router.recordOutcome(unpicked, pair)).toThrow(
      'invalid outcome: outcome.shadow is for a decision picked for the shadow (shadow: "lightrag"); this one was not, and its pair would bias the comparison',
    );
    // Given by backend and cohort alone (a decision made elsewhere), nothing to check it against.
    router.recordOutcome({ backend: 'perplexity', cohort: 'perplexity' }, pair);
    // A pair was recorded twice, the refused one not at all.
    expect(router.getPerformanceSummary().cohorts.perplexity.success_count).toBe(2);
  });
});
