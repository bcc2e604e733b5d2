import { Engine, Rule } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import type { EngineConditionSpec } from '../../src/config/types.js';
import { compilePredicate } from '../../src/rules/compiled-predicate.js';

async function engineSays(
  conditions: EngineConditionSpec,
  facts: Record<string, unknown>,
): Promise<boolean> {
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addRule(
    new Rule({ conditions: structuredClone(conditions) as never, event: { type: 'x' } }),
  );
  return (await engine.run({ ...facts })).results.length > 0;
}

const CONDITIONS: Record<string, EngineConditionSpec> = {
  'any of nothing': { any: [] },
  'all of nothing': { all: [] },
  'not of a leaf': { not: { fact: 'n', operator: 'greaterThan', value: 3 } },
  'numeric range': {
    all: [
      { fact: 'n', operator: 'greaterThanInclusive', value: 100 },
      { fact: 'n', operator: 'lessThanInclusive', value: 1000 },
    ],
  },
  'nested any/all': {
    any: [
      {
        all: [
          { fact: 't', operator: 'in', value: ['a', 'b'] },
          { fact: 'n', operator: 'lessThan', value: 10 },
        ],
      },
      { fact: 'tags', operator: 'contains', value: 'vip' },
    ],
  },
  'equal and notEqual': {
    all: [
      { fact: 't', operator: 'equal', value: 'a' },
      { fact: 'n', operator: 'notEqual', value: 5 },
    ],
  },
  'notIn and doesNotContain': {
    all: [
      { fact: 't', operator: 'notIn', value: ['z'] },
      { fact: 'tags', operator: 'doesNotContain', value: 'banned' },
    ],
  },
};

const FACTS: Record<string, unknown>[] = [
  {},
  { n: 150, t: 'a', tags: ['vip'] },
  { n: '150', t: 'b', tags: [] },
  { n: Number.NaN, t: 'z' },
  { n: null, t: null, tags: null },
  { n: 5, t: 'a', tags: ['banned'] },
  { n: 1000, t: 'c', tags: 'vip' },
  { n: 99.999, t: undefined },
  { n: Number.POSITIVE_INFINITY, t: 'a' },
  { n: '12abc', t: 'b' },
];

describe('compilePredicate', () => {
  for (const [name, conditions] of Object.entries(CONDITIONS)) {
    it(`agrees with Engine.run: ${name}`, async () => {
      const predicate = compilePredicate(conditions);
      expect(predicate).not.toBeNull();
      for (const facts of FACTS) {
        expect(predicate!(facts), JSON.stringify(facts)).toBe(await engineSays(conditions, facts));
      }
    });
  }

  it.each([
    ['a shared condition', { condition: 'shared' }],
    ['a path', { all: [{ fact: 'account', path: '$.tier', operator: 'equal', value: 'gold' }] }],
    ['params', { all: [{ fact: 'f', params: { x: 1 }, operator: 'equal', value: 1 }] }],
    ['a fact-valued comparison', { all: [{ fact: 'a', operator: 'equal', value: { fact: 'b' } }] }],
    ['two boolean keys in one node', { all: [], any: [] }],
  ] as [string, EngineConditionSpec][])('leaves %s to Engine.run', (_name, conditions) => {
    expect(compilePredicate(conditions)).toBeNull();
  });
});
