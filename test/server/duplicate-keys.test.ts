import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/create-server.js';
import { findDuplicateKey, mayRepeatKeys } from '../../src/server/duplicate-keys.js';
import { routerIn } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';
const TWICE = 'is given twice in one object';
const WHY = 'JSON would keep the last value without a word; give each key once';

describe('findDuplicateKey', () => {
  it('names the path and both places of a key given twice, as JSON reads keys', () => {
    expect(findDuplicateKey('{"percentage":5,"reason":"x","percentage":90}')).toEqual({
      path: ['percentage'],
      first: { line: 1, column: 2 },
      second: { line: 1, column: 30 },
    });
    const nested =
      '{\n  "context": {\n    "targetingKey": "a",\n    "x": [1, {"b": 1, "\\u0062": 2}]\n  }\n}';
    expect(findDuplicateKey(nested)).toEqual({
      path: ['context', 'x', '1', 'b'],
      first: { line: 4, column: 15 },
      second: { line: 4, column: 23 },
    });
    expect(findDuplicateKey('[{"a":1},{"a":2},{"b":1,"c":{"a":1},"b":2}]')?.path).toEqual([
      '2',
      'b',
    ]);
    // Keys in strings, escaped quotes and the same key in sibling objects are not repeats.
    for (const text of [
      '{"a":"\\"a\\":1","b":{"a":1},"c":[{"a":1},{"a":2}]}',
      '{"q":"x\\\\","a":1}',
      '{"é":1,"e":2,"\\u00e9x":3}',
    ]) {
      expect(findDuplicateKey(text), text).toBeUndefined();
    }
  });

  it('agrees with a reading of every key for any JSON value: found exactly when a key is repeated', () => {
    const key = fc.constantFrom('a', 'b', 'é', 'a:b', '"', '\\', '');
    const leaf = fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 4 }),
      fc.constant(':'),
      fc.boolean(),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.array(fc.tuple(key, tie('tree')), { maxLength: 4 }),
      ),
    }));
    /** Writes a value, lists of pairs as objects that may repeat a key (escaped at random). */
    const write = (value: unknown, escaped: boolean): string => {
      if (!Array.isArray(value)) return JSON.stringify(value);
      if (
        value.every(
          (item) => Array.isArray(item) && item.length === 2 && typeof item[0] === 'string',
        )
      ) {
        const pairs = (value as [string, unknown][]).map(([name, child]) => {
          const spelt = escaped && name === 'a' ? '"\\u0061"' : JSON.stringify(name);
          return `${spelt}:${write(child, !escaped)}`;
        });
        return `{${pairs.join(',')}}`;
      }
      return `[${value.map((item) => write(item, escaped)).join(',')}]`;
    };
    const repeats = (value: unknown): boolean => {
      if (!Array.isArray(value)) return false;
      if (
        value.every(
          (item) => Array.isArray(item) && item.length === 2 && typeof item[0] === 'string',
        )
      ) {
        const names = (value as [string, unknown][]).map(([name]) => name);
        if (new Set(names).size < names.length) return true;
        return (value as [string, unknown][]).some(([, child]) => repeats(child));
      }
      return value.some(repeats);
    };
    fc.assert(
      fc.property(tree, fc.boolean(), (value, escaped) => {
        const text = write(value, escaped);
        const parsed = JSON.parse(text) as unknown;
        const found = findDuplicateKey(text) !== undefined;
        expect(found).toBe(repeats(value));
        // The fast test never misses one.
        if (found) expect(mayRepeatKeys(text, parsed)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a request body that gives a key twice', () => {
  it("is refused on every route that takes JSON, with the route's body code, naming the key and where", async () => {
    const { router } = await routerIn({ [ENV]: 'rollout_percentage: 10\n' });
    const server = createServer(router, { adminToken: 'admin-token', anonymousOutcomes: true });
    const cases: [string, string, number, string, string][] = [
      [
        '/v1/rollout',
        '{"percentage":5,"reason":"x","percentage":90}',
        400,
        'INVALID_ARGUMENT',
        `percentage ${TWICE} (at 1:2 and 1:30 of the body): ${WHY}`,
      ],
      [
        '/v1/rollback',
        '{"reason":"a",\n "reason":"b"}',
        400,
        'INVALID_ARGUMENT',
        `reason ${TWICE} (at 1:2 and 2:2 of the body): ${WHY}`,
      ],
      [
        '/v1/decide',
        '{"userId":"alice","userId":"bob"}',
        400,
        'INVALID_CONTEXT',
        `invalid routing context: userId ${TWICE} (at 1:2 and 1:19 of the body): ${WHY}`,
      ],
      [
        '/v1/explain',
        '{"userId":"a","attributes":{"plan":"x","plan":"y"}}',
        400,
        'INVALID_CONTEXT',
        `invalid routing context: attributes.plan ${TWICE} (at 1:29 and 1:40 of the body): ${WHY}`,
      ],
      [
        '/ofrep/v1/evaluate/flags/backend',
        '{"context":{"targetingKey":"a","region":"eu","region":"us"}}',
        400,
        'INVALID_CONTEXT',
        `invalid routing context: context.region ${TWICE} (at 1:32 and 1:46 of the body): ${WHY}`,
      ],
      [
        '/ofrep/v1/evaluate/flags',
        '{"context":{"targetingKey":"a"},"context":{"targetingKey":"b"}}',
        400,
        'INVALID_CONTEXT',
        `invalid routing context: context ${TWICE} (at 1:2 and 1:33 of the body): ${WHY}`,
      ],
      [
        '/v1/outcomes',
        '[{"backend":"lightrag","success":true},{"backend":"lightrag","success":true,"success":false}]',
        400,
        'INVALID_ARGUMENT',
        `1.success ${TWICE} (at 1:62 and 1:77 of the body): ${WHY}`,
      ],
    ];
    for (const [url, payload, status, code, details] of cases) {
      const answer = await server.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', authorization: 'Bearer admin-token' },
        payload,
      });
      expect(answer.statusCode, url).toBe(status);
      expect(answer.json(), url).toMatchObject({ errorCode: code, errorDetails: details });
    }
    // Nothing changed: the rollout is still the file's.
    expect(router.status().rolloutPercentage).toBe(10);
    // A colon in a value and the same key in two objects are no repeat.
    const fine = await server.inject({
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/backend',
      headers: { 'content-type': 'application/json' },
      payload:
        '{"context":{"targetingKey":"a","queryText":"RAG: \\"region\\": what?","x":{"region":1}}}',
    });
    expect(fine.statusCode).toBe(200);
  });
});
