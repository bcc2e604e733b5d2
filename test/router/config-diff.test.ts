import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadedRule } from '../../src/config/load-config.js';
import type { RoutingRuleSpec } from '../../src/config/types.js';
import { diffRules, sameJson } from '../../src/router/config-diff.js';

describe('sameJson', () => {
  it('says what comparing the two JSON texts says', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
    );
  });

  it('tells copies apart only by a change, key order included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (a) => {
        expect(sameJson(a, structuredClone(a))).toBe(true);
      }),
    );
    expect(sameJson({ a: 1, b: [1, 2] }, { a: 1, b: [1, 2] })).toBe(true);
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([1, [2]], [1, [3]])).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });
});

/** The rules' changes by their definition: `before`'s names in order, then the new ones. */
function expectedChanges(before: LoadedRule[], after: LoadedRule[]) {
  const specs = (rules: LoadedRule[]) => new Map(rules.map((rule) => [rule.name, rule.spec]));
  const [from, to] = [specs(before), specs(after)];
  const names = [...new Set([...from.keys(), ...to.keys()])];
  return names
    .map((name) => ({
      key: `routing_rules.${name}`,
      from: from.get(name) ?? null,
      to: to.get(name) ?? null,
    }))
    .filter((change) => JSON.stringify(change.from) !== JSON.stringify(change.to));
}

describe('diffRules', () => {
  const spec = fc.oneof(
    fc.record({ type: fc.constant('query_length'), min_length: fc.nat(3), max_length: fc.nat(3) }),
    fc.record({
      type: fc.constant('query_type'),
      allowed_types: fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 }),
    }),
  ) as fc.Arbitrary<RoutingRuleSpec>;
  const rules = (names: string[], specs: RoutingRuleSpec[]) =>
    names.map(
      (name, index) =>
        ({
          name,
          spec: specs[index % specs.length]!,
          origin: 'x',
          pointer: `/${name}`,
        }) as LoadedRule,
    );

  it('finds every changed rule, whether the names kept their places or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom('r0', 'r1', 'r2', 'r3', 'r4', 'r5'), { maxLength: 6 }),
        fc.array(spec, { minLength: 1, maxLength: 6 }),
        fc.array(spec, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (names, before, after, shuffle) => {
          const next = shuffle ? [...names].reverse().slice(1) : names;
          const [a, b] = [rules(names, before), rules(next, after)];
          expect(await diffRules(a, b)).toEqual(expectedChanges(a, b));
        },
      ),
    );
  });
});
