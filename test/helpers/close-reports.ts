import { expect } from 'vitest';

/**
 * Expects two JSON values to be equal, numbers to `relative` (relative to the larger, or
 * absolute below 1e-300), everything else exactly; `skip` names keys left out at any depth.
 */
export function expectClose(
  actual: unknown,
  expected: unknown,
  relative: number,
  skip: readonly string[] = [],
  path = '$',
): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    const ok = actual === expected || Math.abs(actual - expected) <= relative * scale;
    expect(ok, `${path}: ${actual} against ${expected}`).toBe(true);
    return;
  }
  if (expected === null || typeof expected !== 'object') {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(typeof actual, path).toBe('object');
  expect(Array.isArray(actual), path).toBe(Array.isArray(expected));
  const keys = (value: object) =>
    Object.keys(value)
      .filter((key) => !skip.includes(key))
      .sort();
  expect(keys(actual as object), path).toEqual(keys(expected));
  for (const key of keys(expected)) {
    expectClose(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      relative,
      skip,
      `${path}.${key}`,
    );
  }
}
