import fc from 'fast-check';
import stringify from 'safe-stable-stringify';
import { describe, expect, it } from 'vitest';
import { rulesJsonOf } from '../../src/config/rules-json.js';
import { plainData } from '../helpers/plain-data.js';

// Keys as rules may have them: integer-like (object order puts them first, a sort does not),
// names the prototype has, empty, and any other string but "__proto__", which the configuration's
// checks refuse before rules get here and rulesJsonOf refuses again (its own test below);
// fast-check's strings draw it now and then on purpose.
const key = fc
  .oneof(
    fc.string({ unit: 'binary' }),
    fc.constantFrom('1', '10', '9', 'toString', 'toJSON', 'valueOf', '', 'name', 'spec', 'a', 'B'),
  )
  .filter((drawn) => drawn !== '__proto__');
const value = plainData(key, fc.string({ unit: 'binary' }));

describe('rulesJsonOf', () => {
  it("is safe-stable-stringify's JSON of each { name, spec }, joined by commas, for any rules", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'binary' }), value), { maxLength: 6 }),
        (rules) => {
          const names = rules.map(([name]) => name);
          const specs = rules.map(([, spec]) => spec);
          const expected = rules.map(([name, spec]) => stringify({ name, spec })).join(',');
          expect(rulesJsonOf(names, specs)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a rule with a key "__proto__", at any depth', () => {
    const own = (json: string) => JSON.parse(json) as unknown;
    expect(() => rulesJsonOf(['r'], [own('{"__proto__": []}')])).toThrow(/__proto__/);
    expect(() => rulesJsonOf(['r'], [own('{"a": [{"__proto__": 1}]}')])).toThrow(/__proto__/);
  });

  it('sorts the keys of every object, integer-like keys among the others', () => {
    const spec = { type: 'query_length', min_length: 1, max_length: 9, 10: 'x', 9: 'y' };
    expect(rulesJsonOf(['r'], [spec])).toBe(
      '{"name":"r","spec":{"10":"x","9":"y","max_length":9,"min_length":1,"type":"query_length"}}',
    );
  });
});
