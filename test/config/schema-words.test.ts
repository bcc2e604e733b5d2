import { describe, expect, it } from 'vitest';
import {
  environmentSchema,
  outcomeSchema,
  rulesSchema,
  type SchemaNode,
  statsSchema,
} from '../../src/config/schemas.js';

/** Every node of a schema with its JSON pointer. */
function* nodes(node: unknown, pointer = ''): Generator<[string, SchemaNode]> {
  if (typeof node !== 'object' || node === null) return;
  if (!Array.isArray(node)) yield [pointer, node as SchemaNode];
  for (const [key, child] of Object.entries(node)) yield* nodes(child, `${pointer}/${key}`);
}

describe('the shipped schemas', () => {
  it.each([
    ['environment', environmentSchema],
    ['rules', rulesSchema],
    ['outcome-event', outcomeSchema],
    ['experiment-stats', statsSchema],
  ])(
    '%s: every pattern says in words what it allows (x-allowed), so no message shows the regular expression',
    (_name, schema) => {
      const wordless = [...nodes(schema)]
        .filter(([, node]) => typeof node.pattern === 'string' && !node['x-allowed'])
        .map(([pointer]) => pointer);
      expect(wordless).toEqual([]);
    },
  );

  it('every number of seconds in the environment schema says its unit when it is refused', () => {
    const unitless = [...nodes(environmentSchema)]
      .filter(([, node]) => node.type === 'integer' || node.type === 'number')
      .filter(([, node]) => /\bseconds\b/i.test(node.description ?? ''))
      .filter(([, node]) => !node['x-allowed']?.includes('seconds'))
      .map(([pointer]) => pointer);
    expect(unitless).toEqual([]);
  });
});
