import { describe, expect, it } from 'vitest';
import { highestRateKept, keptPace, validPacedRun } from './sustained-rate.js';

describe('half load beside the paced client', () => {
  it('counts a run as saturated once more than 10 % of its measured requests came due behind a backlog', () => {
    expect(keptPace({ measured: 20_000, backlogged: 2_000, onSchedule: true })).toBe(true);
    expect(keptPace({ measured: 20_000, backlogged: 2_001, onSchedule: true })).toBe(false);
    // Session 10's quiet run: every request waited behind a backlog.
    expect(keptPace({ measured: 40_584, backlogged: 40_584, onSchedule: true })).toBe(false);
  });

  it('takes a run as valid only with the client on schedule and the server keeping pace', () => {
    expect(validPacedRun({ measured: 1000, backlogged: 0, onSchedule: true })).toBe(true);
    expect(validPacedRun({ measured: 1000, backlogged: 0, onSchedule: false })).toBe(false);
    expect(validPacedRun({ measured: 1000, backlogged: 500, onSchedule: true })).toBe(false);
  });

  it('finds the highest rate kept to the ceiling / 2^steps, never probing the ceiling', async () => {
    for (const capacity of [1, 3_210, 7_300, 10_145, 19_999]) {
      const probed: number[] = [];
      const found = await highestRateKept(
        async (rate) => {
          probed.push(rate);
          return rate <= capacity;
        },
        20_000,
        7,
      );
      expect(found.rate).toBeLessThanOrEqual(capacity);
      expect(capacity - found.rate).toBeLessThan(20_000 / 2 ** 7);
      expect(found.probes.map(({ rate }) => rate)).toEqual(probed);
      expect(probed).not.toContain(20_000);
      expect(probed.length).toBe(7);
    }
  });

  it('reports no rate when the server keeps pace at none', async () => {
    const found = await highestRateKept(async () => false, 20_000, 6);
    expect(found.rate).toBe(0);
    expect(found.probes.every(({ kept }) => !kept)).toBe(true);
  });

  it('stops when the bisection has no whole rate left to probe', async () => {
    const found = await highestRateKept(async () => true, 4, 10);
    expect(found.rate).toBe(3);
    expect(found.probes.map(({ rate }) => rate)).toEqual([2, 3]);
  });
});
