import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTime } from '../../src/experiment/event-time.js';
import { scanEventLine } from '../../src/experiment/scan-event-line.js';

/** What the fast reader makes of `line`: what JSON.parse gives, or undefined (it declined). */
function scan(line: string): unknown {
  const bytes = Buffer.from(`xx${line}yy`, 'utf8');
  return scanEventLine(bytes, 2, bytes.length - 2);
}

/** The fast reader either declines or agrees with JSON.parse: same keys in order, same values. */
let accepted = 0;
function agrees(line: string): boolean {
  const fast = scan(line);
  if (fast === undefined) return true;
  accepted += 1;
  const parsed = JSON.parse(line) as Record<string, unknown>;
  expect(Object.keys(fast as object)).toEqual(Object.keys(parsed));
  for (const key of Object.keys(parsed)) {
    expect(Object.is((fast as Record<string, unknown>)[key], parsed[key])).toBe(true);
  }
  expect(Object.getPrototypeOf(fast)).toBe(Object.prototype);
  return true;
}

const FIELDS = [
  'time',
  'unit',
  'userId',
  'cohort',
  'backend',
  'success',
  'latencyMs',
  'quality',
  'costUsd',
  'satisfaction',
  'decisionId',
  'configVersion',
  'kind',
  'schema',
  'period',
  'percentage',
  '__proto__',
  'other',
];
/** Number texts as writers print them: fixed decimals, shortest doubles, exponents, edge forms. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
  fc
    .double({ min: 0, max: 1e6, noNaN: true })
    .chain((x) => fc.integer({ min: 0, max: 12 }).map((digits) => x.toFixed(digits))),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
  fc.constantFrom(
    '-0',
    '0',
    '0.0',
    '-0.000',
    '1e3',
    '1E-3',
    '01',
    '1.',
    '.5',
    '-',
    '9007199254740993',
  ),
);
const value = fc.oneof(
  numberText,
  fc.string().map((text) => JSON.stringify(text)),
  fc.string({ unit: 'binary' }).map((text) => JSON.stringify(text)),
  fc.constantFrom('true', 'false', 'null', '{}', '[]', '"a\\"b"', '"é"', 'tru', 'falsey'),
);
const space = fc.constantFrom('', ' ', '\t', '  ', '\r', '\u00a0');
const line = fc
  .array(fc.tuple(fc.constantFrom(...FIELDS), value, space, space), { maxLength: 12 })
  .chain((pairs) =>
    fc
      .tuple(space, space)
      .map(
        ([before, after]) =>
          `${before}{${pairs.map(([key, item, a, b]) => `${a}"${key}"${b}:${a}${item}${b}`).join(',')}}${after}`,
      ),
  );

/** Lines the fast reader should read: known keys once each, ASCII strings, short numbers. */
const plausible = fc
  .uniqueArray(
    fc.tuple(
      fc.constantFrom(...FIELDS.slice(0, 16)),
      fc.oneof(
        numberText,
        fc
          .string({ unit: fc.integer({ min: 0x20, max: 0x7f }).map((c) => String.fromCharCode(c)) })
          .map((text) => JSON.stringify(text)),
        fc.constantFrom('true', 'false'),
      ),
    ),
    { selector: ([key]) => key, minLength: 1, maxLength: 12 },
  )
  .chain((pairs) =>
    fc
      .constantFrom('', ' ')
      .map((gap) => `{${pairs.map(([key, item]) => `"${key}":${gap}${item}`).join(`,${gap}`)}}`),
  );

describe('the fast reader of event lines', () => {
  it('gives what JSON.parse gives, or declines, on event-like lines', () => {
    accepted = 0;
    fc.assert(fc.property(fc.oneof(line, plausible), agrees), { numRuns: 5_000 });
    // The property is about the lines it reads: enough of them must be read, not declined.
    expect(accepted).toBeGreaterThan(500);
  });

  it('gives what JSON.parse gives, or declines, on damaged lines and on any text', () => {
    const damaged = fc
      .tuple(line, fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 }))
      .map(([text, at, cut, insert]) => {
        const where = text.length === 0 ? 0 : at % text.length;
        return text.slice(0, where) + insert + text.slice(where + cut);
      });
    const isJson = (text: string) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.oneof(damaged, fc.string(), fc.string({ unit: 'binary' })), (text) => {
        if (!isJson(text)) expect(scan(text)).toBeUndefined();
        return agrees(text);
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads the lines the event log writes, numbers exactly', () => {
    const written = JSON.stringify({
      time: '2026-11-26T10:00:00.123Z',
      unit: 'a1b2c3',
      cohort: 'lightrag',
      backend: 'lightrag',
      success: true,
      latencyMs: 1834.5,
      quality: 0.873,
      costUsd: 0.00412,
      decisionId: 'd-1',
    });
    expect(scan(written)).toEqual(JSON.parse(written));
    for (const text of ['0.1', '0.3', '123456789012.345', '-0.000001', '999999999999999']) {
      expect(Object.is(scan(`{"latencyMs":${text}}`), undefined)).toBe(false);
      expect((scan(`{"latencyMs":${text}}`) as { latencyMs: number }).latencyMs).toBe(
        JSON.parse(text),
      );
    }
    // Sixteen digits, exponents, escapes, non-ASCII, nesting, null and unknown keys: JSON.parse's.
    for (const text of [
      '{"latencyMs":1234567890123456}',
      '{"latencyMs":1e3}',
      '{"unit":"a\\u0062"}',
      '{"unit":"é"}',
      '{"unit":{}}',
      '{"unit":null}',
      '{"__proto__":1}',
      '{"unit":"a","unit":"b"}',
      '{}',
    ]) {
      expect(scan(text)).toBeUndefined();
    }
  });
});

describe('the event time', () => {
  it('is Date.parse of the text, for times as written and for any text of that shape', () => {
    const digits = (count: number) =>
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: count, maxLength: count });
    const shaped = fc
      .tuple(
        digits(4),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        fc.option(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 6 })),
        fc.constantFrom('Z', 'z', '+01:00', ''),
      )
      .map(
        ([y, mo, d, h, mi, s, fraction, zone]) =>
          `${y.join('')}-${mo.join('')}-${d.join('')}T${h.join('')}:${mi.join('')}:${s.join('')}${fraction === null ? '' : `.${fraction.join('')}`}${zone}`,
      );
    const written = fc
      .date({
        min: new Date(Date.UTC(100, 0, 1)),
        max: new Date(Date.UTC(9999, 11, 31)),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString());
    fc.assert(
      fc.property(fc.oneof(shaped, written, fc.string()), (text) => {
        expect(Object.is(eventTime(text), Date.parse(text))).toBe(true);
      }),
      { numRuns: 10_000 },
    );
    for (const text of ['0050-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z']) {
      expect(eventTime(text)).toBe(Date.parse(text));
    }
  });
});
