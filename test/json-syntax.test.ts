import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeJsonSyntaxError, jsonSyntaxFault, placeOf } from '../src/json-syntax.js';

/** Whether `JSON.parse` reads `text`. */
function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('a JSON syntax error in words', () => {
  it.each([
    ['{"a": 1 "b": 2}', "expected ',' or '}' after a property value at column 9"],
    ['[1 2]', "expected ',' or ']' after a list item at column 4"],
    ['{"a" 1}', "expected ':' after a property name at column 6"],
    ["{'a': 1}", 'expected a property name (in double quotes, not single) at column 2'],
    ['{a: 1}', 'expected a property name in double quotes at column 2'],
    ['{"a": 1,}', "a '}' after ',': JSON objects take no trailing comma at column 9"],
    ['[1,]', "a ']' after ',': JSON lists take no trailing comma at column 4"],
    [
      '{"a": }',
      "expected a value (an object, a list, a string in double quotes, a number, true, false or null) after ':' at column 7",
    ],
    [
      '{"a": secret}',
      "a word JSON does not know after ':': strings take double quotes, and the only words are true, false and null at column 7",
    ],
    [
      '{"a": \'x\'}',
      "a string in single quotes after ':': JSON strings take double quotes at column 7",
    ],
    ['{"a": "x', "a string is not closed: no '\"' ends it before the end of the text at column 7"],
    [
      '{"a": 01}',
      'a number starts with 0 and more digits: JSON numbers have no leading zero at column 7',
    ],
    ['{"a": 1.}', "a number has no digit after its decimal point '.' at column 9"],
    ['{"a": 1e}', 'a number has no digit in its exponent at column 9'],
    ['{"a": -}', "a number has no digit after its '-' at column 8"],
    [
      '{"a": "\\x"}',
      'an escape JSON does not know inside a string: the escapes are \\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\u with four hexadecimal digits at column 8',
    ],
    ['{"a": "\\u12"}', 'an escape \\u inside a string without four hexadecimal digits at column 8'],
    [
      '{"a": 1} {"b": 2}',
      'more after the JSON value: a text holds one value (a JSON line, one per line) at column 10',
    ],
    ['{"a": 1', "the text ends where ',' or '}' after a property value was expected at column 8"],
    [
      '{"a":',
      "the text ends where a value (an object, a list, a string in double quotes, a number, true, false or null) was expected after ':' at column 6",
    ],
    [
      '',
      'the text ends where a value (an object, a list, a string in double quotes, a number, true, false or null) was expected at column 1',
    ],
    [
      '\uFEFF{}',
      'the text starts with a byte order mark (U+FEFF); write JSON without one at column 1',
    ],
    ['{\n  "a": 1,\n  "b" 2\n}', "expected ':' after a property name at line 3, column 7"],
    ['{"é": "ü" x}', "expected ',' or '}' after a property value at column 11"],
  ])('%j: %s', (text, expected) => {
    expect(parses(text)).toBe(false);
    expect(describeJsonSyntaxError(text)).toBe(expected);
  });

  it('quotes no byte of the input, whatever follows the fault', () => {
    const secret = 'tok_9f8e7d6c5b4a';
    for (const text of [
      `{"token": ${secret}}`,
      `{"token": "${secret}" "salt": "${secret}"}`,
      `{"token": "${secret}\n"}`,
      `[${secret}]`,
      `{${secret}: 1}`,
    ]) {
      const said = describeJsonSyntaxError(text);
      for (let at = 0; at + 4 <= secret.length; at += 1) {
        expect(said).not.toContain(secret.slice(at, at + 4));
      }
    }
  });

  it('finds a fault exactly where JSON.parse refuses, for texts near valid JSON', () => {
    // Valid JSON with one character taken out, added or changed: both readers must agree.
    const mutated = fc
      .tuple(
        fc.oneof(
          fc.json(),
          fc.json().map((json) => JSON.stringify(JSON.parse(json), null, 2)),
        ),
        fc.nat(),
        fc.constantFrom('delete', 'insert', 'replace'),
        fc.string({ minLength: 1, maxLength: 1 }),
      )
      .map(([json, index, how, char]) => {
        const at = json.length === 0 ? 0 : index % (json.length + 1);
        if (how === 'delete') return json.slice(0, at) + json.slice(at + 1);
        if (how === 'insert') return json.slice(0, at) + char + json.slice(at);
        return json.slice(0, at) + char + json.slice(at + 1);
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string(), fc.json()), (text) => {
        expect(jsonSyntaxFault(text) === undefined).toBe(parses(text));
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads any depth without recursion', () => {
    const deep = `${'['.repeat(200_000)}1${']'.repeat(199_999)}`;
    expect(describeJsonSyntaxError(deep)).toBe(
      "the text ends where ',' or ']' after a list item was expected at column 400001",
    );
  });

  it('places an offset by line and column in characters', () => {
    expect(placeOf('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(placeOf('\u{1F600}x', 2)).toEqual({ line: 1, column: 2 });
  });
});
