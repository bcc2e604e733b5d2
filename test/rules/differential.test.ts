import fc from 'fast-check';
import { Engine, Rule } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import type { RoutingRuleSpec } from '../../src/config/types.js';
import type { RoutingContext } from '../../src/decision/types.js';
import { createRouter } from '../../src/router/create-router.js';
import { toEngineRule } from '../../src/rules/compile-rules.js';
import { codePointLength } from '../../src/rules/facts.js';
import { DEFAULT_RULE_MEMO_SIZE } from '../../src/rules/rule-evaluator.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { silentLogger } from '../helpers/silent-logger.js';

const ROUTING_RULES: Record<string, RoutingRuleSpec> = {
  complex_queries: { type: 'query_length', min_length: 100, max_length: 1000 },
  short_queries: { type: 'query_length', max_length: 20 },
  metabolomics_queries: { type: 'query_type', allowed_types: ['metabolomics', 'clinical'] },
  hard_in_eu: {
    conditions: {
      all: [
        { fact: 'queryComplexity', operator: 'greaterThanInclusive', value: 0.5 },
        {
          any: [
            { fact: 'region', operator: 'in', value: ['europe', 'us_east'] },
            { fact: 'plan', operator: 'equal', value: 'enterprise' },
          ],
        },
      ],
    },
  },
  not_free: { conditions: { not: { fact: 'plan', operator: 'equal', value: 'free' } } },
  // A path needs json-rules-engine's own run: this rule takes the memoised Engine.run route.
  gold_account: {
    conditions: { all: [{ fact: 'account', path: '$.tier', operator: 'equal', value: 'gold' }] },
  },
};
const REGIONS = { us_east: 25, us_west: 15, europe: 10 };

function plainEngine(): Engine {
  const engine = new Engine([], { allowUndefinedFacts: true });
  for (const [name, spec] of Object.entries(ROUTING_RULES)) {
    engine.addRule(
      new Rule({
        name,
        conditions: structuredClone(toEngineRule(spec).conditions) as never,
        event: { type: 'eligible' },
      }),
    );
  }
  for (const [region, percentage] of Object.entries(REGIONS)) {
    engine.addRule(
      new Rule({
        name: `geography:${region}`,
        conditions: { all: [{ fact: 'region', operator: 'equal', value: region }] },
        event: { type: 'geography', params: { percentage } },
      }),
    );
  }
  return engine;
}

const contexts = fc.record(
  {
    userId: fc.string({ maxLength: 12 }),
    queryText: fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.nat(1200).map((n) => 'q'.repeat(n)),
    ),
    queryType: fc.constantFrom('metabolomics', 'clinical', 'general', 'chemistry'),
    region: fc.constantFrom('us_east', 'us_west', 'europe', 'asia'),
    queryComplexity: fc.double({ min: 0, max: 1, noNaN: true }),
    attributes: fc.record(
      { plan: fc.constantFrom('free', 'pro', 'enterprise') },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['userId'] },
) as fc.Arbitrary<RoutingContext>;

describe('memoised rule evaluation', () => {
  it.each([
    ['default memo', undefined],
    ['a tiny memo that evicts constantly', 16],
  ])(
    'matches a plain json-rules-engine run on 20,000 random contexts (%s)',
    async (_name, ruleMemoSize) => {
      const temp = await tempConfigDir({
        'environments/test.yaml': JSON.stringify({
          rollout_percentage: 50,
          enable_conditional_routing: true,
          rule_files: ['rules/all.yaml'],
        }),
        'rules/all.yaml': JSON.stringify({
          routing_rules: ROUTING_RULES,
          geographic_routing: Object.fromEntries(
            Object.entries(REGIONS).map(([region, p]) => [region, { rollout_percentage: p }]),
          ),
        }),
      });
      const router = await createRouter({
        configDir: temp.dir,
        environment: 'test',
        env: {},
        logger: silentLogger(),
        ...(ruleMemoSize !== undefined ? { ruleMemoSize } : {}),
      });
      const engine = plainEngine();
      // Twice the default memo's capacity: the memo fills, evicts and hits again. More contexts add
      // CPU time (a plain json-rules-engine run each), not cases; under load 12 the 100,000 of
      // before ran 96 s.
      const count = 2 * DEFAULT_RULE_MEMO_SIZE;
      const sample = fc.sample(contexts, { numRuns: count, seed: 42 });
      let mismatches = 0;
      for (const context of sample) {
        const decision = await router.decide(context);
        const facts: Record<string, unknown> = {
          ...context.attributes,
          ...context,
          attributes: undefined,
        };
        if (context.queryText !== undefined) facts.queryLength = codePointLength(context.queryText);
        const { results } = await engine.run(facts);
        const expected = results.map((result) => result.name).sort();
        const eligibleNames = Object.keys(ROUTING_RULES).filter((name) => expected.includes(name));
        const ours = decision.rules
          .filter((rule) => rule.matched)
          .map((rule) => rule.name)
          .sort();
        // The router stops at the eligibility step when nothing matches, so geography is not tried.
        const comparable =
          eligibleNames.length === 0
            ? expected.filter((name) => !name.startsWith('geography:'))
            : expected;
        if (JSON.stringify(ours) !== JSON.stringify(comparable)) mismatches += 1;
        expect(decision.reason).toBe(
          eligibleNames.length === 0 ? 'conditional_rule' : 'rollout_percentage',
        );
      }
      expect(mismatches).toBe(0);
      expect(sample).toHaveLength(count);
      await router.close();
      await temp.remove();
    },
  );
});
