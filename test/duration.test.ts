import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { environmentSchema, type SchemaNode } from '../src/config/schemas.js';
import {
  allowedDurations,
  durationText,
  POSITIVE_DURATION,
  parseDuration,
  readDuration,
} from '../src/duration.js';

const ANY = { min: 0, max: Number.MAX_SAFE_INTEGER };

describe('one vocabulary of durations', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['250ms', 250],
    ['2s', 2_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(readDuration(text, ANY)).toBe(ms);
  });

  it.each([
    '',
    'soon',
    '1.5s',
    '250',
    '-1s',
    '1w',
    '01m',
    '1 h',
    '1h30m',
    '1e3ms',
    '0x10s',
    ' 30s ',
  ])('refuses %j', (text) => {
    expect(readDuration(text, ANY)).toBeUndefined();
  });

  it('keeps to the bounds, 0 only where they start at 0', () => {
    const wait = { min: 0, max: 3_600_000 };
    expect(readDuration('0', wait)).toBe(0);
    expect(readDuration('1h', wait)).toBe(3_600_000);
    expect(readDuration('61m', wait)).toBeUndefined();
    expect(readDuration('0', POSITIVE_DURATION)).toBeUndefined();
    expect(readDuration(`${'9'.repeat(400)}d`, ANY)).toBeUndefined();
  });

  it('says what the bounds allow, with examples within them', () => {
    expect(allowedDurations({ min: 0, max: 3_600_000 })).toBe(
      '0 or a duration of at most 1h such as 250ms, 2s or 30s (a whole number of ms, s, m, h or d)',
    );
    expect(allowedDurations({ min: 1_000, max: 86_400_000 })).toBe(
      'a duration from 1s to 1d such as 2s, 30s or 1m (a whole number of ms, s, m, h or d)',
    );
    expect(() => parseDuration('1.5s', { min: 100, max: 3_600_000 }, '--heartbeat')).toThrow(
      '--heartbeat must be a duration from 100ms to 1h such as 250ms, 2s or 30s (a whole number of ms, s, m, h or d), got "1.5s"',
    );
  });

  it('writes any whole number of milliseconds as a duration that reads back to it', () => {
    fc.assert(
      fc.property(fc.nat({ max: 400 * 86_400_000 }), (ms) => {
        expect(readDuration(durationText(ms), ANY)).toBe(ms);
      }),
    );
    expect(durationText(3_600_000)).toBe('1h');
    expect(durationText(90_000)).toBe('90s');
    expect(durationText(1_500)).toBe('1500ms');
  });

  it("is what the environment schema's hold and max_hold take (a positive duration)", () => {
    const stage = (
      environmentSchema as {
        properties: { rollout_plan: { properties: { stages: { items: SchemaNode } } } };
      }
    ).properties.rollout_plan.properties.stages.items;
    const patterns = ['hold', 'max_hold'].map(
      (field) => new RegExp(stage.properties?.[field]?.pattern as string),
    );
    const words = fc.oneof(
      fc
        .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', ''))
        .map(([n, unit]) => `${n}${unit}`),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(words, (text) => {
        for (const pattern of patterns) {
          expect(pattern.test(text), text).toBe(
            readDuration(text, POSITIVE_DURATION) !== undefined,
          );
        }
      }),
    );
  });
});
