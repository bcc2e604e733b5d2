import fc from 'fast-check';
import { Rule } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import type { RoutingRuleSpec } from '../../src/config/types.js';
import { compileRules, factsReadBy, toEngineRule } from '../../src/rules/compile-rules.js';

/** Shorthand rules as the rule file's schema allows them. */
const shorthand: fc.Arbitrary<RoutingRuleSpec> = fc.oneof(
  fc.record(
    {
      type: fc.constant('query_length' as const),
      min_length: fc.nat(100_000),
      max_length: fc.nat(100_000),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record({
    type: fc.constant('query_type' as const),
    allowed_types: fc.array(fc.string(), { maxLength: 5 }),
  }),
);

describe('compileRules', () => {
  it('skips the json-rules-engine Rule of a shorthand rule only because the engine would accept it', async () => {
    await fc.assert(
      fc.asyncProperty(shorthand, async (spec) => {
        // What compiling no longer builds: json-rules-engine accepts the conditions made for it.
        expect(
          () =>
            new Rule({
              name: 'r',
              conditions: structuredClone(toEngineRule(spec).conditions) as never,
              event: { type: 'eligible' },
            }),
        ).not.toThrow();
        const compiled = await compileRules([{ name: 'r', spec, origin: 'x', pointer: '/r' }], []);
        if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
        expect(compiled.rules[0]).toMatchObject({ rule: null });
        expect(compiled.rules[0]!.predicate).toBeTypeOf('function');
      }),
    );
  });

  it('knows the facts a shorthand rule reads as factsReadBy finds them in its engine conditions', async () => {
    await fc.assert(
      fc.asyncProperty(shorthand, async (spec) => {
        const compiled = await compileRules([{ name: 'r', spec, origin: 'x', pointer: '/r' }], []);
        if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
        expect(compiled.rules[0]!.factsRead).toEqual(factsReadBy(toEngineRule(spec).conditions));
        expect(Object.isFrozen(compiled.rules[0]!.factsRead)).toBe(true);
      }),
    );
  });

  it('still has json-rules-engine reject a rule written as conditions', async () => {
    const spec = { conditions: { all: [{ fact: 'plan', operator: 'equal' }] } } as never;
    const compiled = await compileRules([{ name: 'r', spec, origin: 'x', pointer: '/r' }], []);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.issues[0]!.message).toMatch(/not a valid json-rules-engine/);
  });
});
