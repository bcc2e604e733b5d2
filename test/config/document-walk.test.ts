import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Document, parseDocument, stringify } from 'yaml';
import { walkDocument } from '../../src/config/document-walk.js';
import { plainData } from '../helpers/plain-data.js';

function parse(text: string): Document {
  return parseDocument(text, { uniqueKeys: false, strict: true });
}

/** The walk's data and toJS()'s, with every object's keys in order (toEqual ignores order). */
function bothOf(text: string): { walked: unknown; toJS: unknown; exact: boolean } {
  const document = parse(text);
  const walk = walkDocument(document.contents, text);
  return { walked: walk.data?.value, toJS: document.toJS(), exact: walk.data !== undefined };
}

/** Whether `value` has a key "<<" at any depth. */
function hasMergeKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasMergeKey);
  return Object.entries(value).some(([key, inner]) => key === '<<' || hasMergeKey(inner));
}

function expectSameData(text: string): void {
  const { walked, toJS, exact } = bothOf(text);
  // A key "<<" is left to toJS(), which merges it under a schema that has merge keys; a value
  // "<<" is a string like any other.
  expect(exact).toBe(!hasMergeKey(toJS));
  if (!exact) return;
  expect(walked).toStrictEqual(toJS);
  expect(JSON.stringify(walked)).toBe(JSON.stringify(toJS));
}

// Keys as a rule file or a hostile one may write them: integer-like (object order puts them
// first), a name the prototype has, empty, and words YAML reads as other types.
const key = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '1',
    '10',
    '02',
    'toString',
    'valueOf',
    '',
    'null',
    'true',
    '~',
    '1.5',
    '<<',
    '__proto__',
  ),
);
const value = plainData(key, fc.string(), fc.double({ noNaN: true }));

describe('walkDocument', () => {
  it('makes the same plain data as toJS(), key order included, for any document of plain values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { maxKeys: 6 }),
        fc.constantFrom(false, true),
        (data, flow) => {
          const text = stringify(data, flow ? { collectionStyle: 'flow' } : {});
          expectSameData(text);
        },
      ),
    );
  });

  it.each([
    ['null and empty keys', ':\n~: 1\nnull: 2\n"": 3\n'],
    ['keys YAML reads as numbers and booleans', '1: a\n0x1F: b\ntrue: c\n1.5: d\n'],
    ['a key the prototype has', 'toString: 1\nvalueOf: {a: 1}\n'],
    ['empty values', 'a:\nb: []\nc: {}\nd: [~, "", null]\n'],
    ['a pair in a flow list', 'a: [b: 1, c]\n'],
    ['an anchor without an alias', 'a: &x {b: 1}\n'],
    ['YAML 1.1 scalars', '%YAML 1.1\n---\na: yes\nb: 0777\nc: 1_000\n'],
    ['integer-like names after others', 'routing_rules:\n  b: 1\n  "7": 2\n  a: 3\n  "3": 4\n'],
  ])('makes the same data as toJS(): %s', (_, text) => {
    expectSameData(text);
  });

  it.each([
    ['an alias', 'a: &x {b: 1}\nc: *x\n'],
    ['a list as a key', '? [a]\n: 1\n'],
    ['a YAML 1.1 merge key', '%YAML 1.1\n---\na:\n  <<: {b: 2}\n  c: 1\n'],
  ])('leaves the data to toJS() for %s', (_, text) => {
    const document = parse(text);
    const walk = walkDocument(document.contents, text);
    expect(walk.data).toBeUndefined();
  });

  it('finds every problem below the deepest nesting allowed, and leaves the data', () => {
    // As deep as the parser goes (about 800 levels) without running out of stack itself.
    const depth = 700;
    const text = `${'['.repeat(depth)}!!binary x, {a: 1, a: 2}${']'.repeat(depth)}`;
    const document = parse(text);
    const walk = walkDocument(document.contents, text);
    expect(walk.deep).toBeDefined();
    expect(walk.data).toBeUndefined();
    expect(walk.problems.map((problem) => problem.code)).toEqual(['FORBIDDEN_TAG']);
    expect(walk.duplicates.map((problem) => problem.code)).toEqual(['DUPLICATE_KEY']);
  });
});
