import { describe, expect, it } from 'vitest';
import { StageTally } from '../../src/rollout-plan/index.js';

const good = { success: true, latencyMs: 1000, quality: 0.8 } as const;

describe('StageTally: per-unit sums of one stage', () => {
  it('sums each unit once: n users, the sum of their means weighted by their outcomes', () => {
    const tally = new StageTally();
    for (let index = 0; index < 3; index += 1) tally.add('a', 0, { ...good, quality: 0.5 });
    tally.add('b', 0, { ...good, quality: 1 });
    tally.add('c', 1, good);
    const { arms, counts } = tally.data();
    expect(arms.treatment.quality_score).toEqual({
      n: 2,
      sum: 2.5,
      sum_of_squares: 1.5 * 1.5 + 1,
      denominator_sum: 4,
      denominator_sum_of_squares: 10,
      cross_sum: 1.5 * 3 + 1,
    });
    expect(arms.baseline.quality_score).toMatchObject({ n: 1, sum: 0.8, denominator_sum: 1 });
    expect(counts.units).toEqual({ treatment: 2, baseline: 1 });
  });

  it('a unit stays in the arm of its first exposure; outcomes in the other arm are left out and counted', () => {
    const tally = new StageTally();
    tally.expose('traveller', 1);
    tally.add('traveller', 1, good);
    tally.add('traveller', 0, { ...good, quality: 0.1 });
    tally.add('stayer', 0, good);
    const { arms, counts } = tally.data();
    expect(arms.baseline.quality_score).toMatchObject({ n: 1, sum: 0.8 });
    expect(arms.treatment.quality_score).toMatchObject({ n: 1, sum: 0.8 });
    expect(counts).toMatchObject({ multipleExposures: 1, seen: 2, otherArmOutcomes: 1 });
  });

  it('an exposure without outcomes is seen but is no unit of the arm yet', () => {
    const tally = new StageTally();
    tally.expose('quiet', 0);
    expect(tally.data().counts).toMatchObject({ units: { treatment: 0, baseline: 0 }, seen: 1 });
  });

  it('outcomes without a unit are counted and left out', () => {
    const tally = new StageTally();
    tally.add(undefined, 0, good);
    expect(tally.data().counts).toMatchObject({ withoutUnit: 1, seen: 0 });
  });

  it('holds at most its limit of units: later units are counted, earlier ones keep adding', () => {
    const tally = new StageTally(2);
    tally.add('a', 0, good);
    tally.add('b', 1, good);
    tally.add('c', 0, good);
    tally.add('c', 0, good);
    tally.add('a', 0, good);
    const { arms, counts } = tally.data();
    expect(tally.size).toBe(2);
    expect(counts.overLimit).toBe(2);
    expect(arms.treatment.success_rate).toMatchObject({ n: 1, denominator_sum: 2 });
  });
});
