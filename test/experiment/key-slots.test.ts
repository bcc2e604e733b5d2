import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeySlots, keyHash } from '../../src/experiment/key-slots.js';

/** What KeySlots must agree with: a Map numbering keys in the order first seen. */
function numberedByMap(steps: readonly (string | string[])[]): { slots: number[]; keys: string[] } {
  const map = new Map<string, number>();
  const slots: number[] = [];
  for (const step of steps) {
    if (typeof step === 'string') {
      if (!map.has(step)) map.set(step, map.size);
      slots.push(map.get(step)!);
    } else for (const key of step) map.set(key, map.size);
  }
  return { slots, keys: [...map.keys()] };
}

describe('numbering user keys by their hash', () => {
  it('gives every key the slot a Map numbering keys in order would, across growth and appended keys', () => {
    // Few distinct keys (so that lookups find them again) and long runs (so that the table grows).
    // Some lookups are of appended keys, which must then be found where they were appended.
    const key = fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => `user-${n}`) },
      fc.integer({ min: 0, max: 200 }).map((n) => `appended-${n}`),
    );
    const appended = fc
      .uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 50 })
      .map((ns) => ns.map((n) => `appended-${n}`));
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 20, arbitrary: key }, appended), {
          minLength: 1500,
          maxLength: 4000,
        }),
        (steps) => {
          // Appended keys are new by contract: each batch at most once, none seen before.
          const seen = new Set<string>();
          const valid = steps.filter((step) => {
            if (typeof step === 'string') {
              seen.add(step);
              return true;
            }
            if (step.some((k) => seen.has(k))) return false;
            for (const k of step) seen.add(k);
            return true;
          });
          const index = new KeySlots();
          const slots: number[] = [];
          for (const step of valid) {
            if (typeof step === 'string') slots.push(index.slotOf(step, keyHash(step)));
            else index.appendUnindexed(step);
          }
          const expected = numberedByMap(valid);
          expect(slots).toEqual(expected.slots);
          expect(index.keys).toEqual(expected.keys);
          expect(index.size).toBe(expected.keys.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('tells apart keys whose hashes are equal', () => {
    const index = new KeySlots();
    expect(index.slotOf('a', 7)).toBe(0);
    expect(index.slotOf('b', 7)).toBe(1);
    expect(index.slotOf('a', 7)).toBe(0);
    expect(index.slotOf('b', 7)).toBe(1);
  });
});
