import { describe, expect, it } from 'vitest';
import type { PlanGuardrails, RollbackTriggerSettings } from '../../src/config/types.js';
import { regressionGuardrails } from '../../src/rollout-plan/guardrail-policy.js';
import { regression } from '../../src/rollout-plan/regression-reading.js';
import { readShadowGuardrails } from '../../src/rollout-plan/shadow-guardrails.js';
import { PairedTally } from '../../src/shadow/paired-tally.js';
import { DEFAULT_GUARDRAILS, PLAN_TRIGGERS } from '../helpers/plan-simulation.js';

const triggers: RollbackTriggerSettings = { ...PLAN_TRIGGERS, enabled: false };

const guardrails: PlanGuardrails = { ...DEFAULT_GUARDRAILS, tolerance: 0.02 };

/** Per user, one outcome of `value`: the per-unit sums of `users` such users. */
const constantArm = (users: number, value: number) => ({
  n: users,
  sum: users * value,
  sum_of_squares: users * value * value,
  denominator_sum: users,
  denominator_sum_of_squares: users,
  cross_sum: users * value,
});

/** Pairs from `users` users, each the same served and shadow result. */
function pairsOf(
  users: number,
  served: { success: boolean; quality?: number },
  shadow: { success: boolean; quality?: number },
) {
  const tally = new PairedTally();
  for (let user = 0; user < users; user += 1) {
    for (let query = 0; query < 3; query += 1) {
      tally.add({
        time: '2026-12-01T00:00:00Z',
        unit: `user-${user}`,
        cohort: 'control',
        backend: 'perplexity',
        ...served,
        shadow,
      });
    }
  }
  return { units: tally.units, totals: tally.totals };
}

const shadowReadings = (pairs: ReturnType<typeof pairsOf>) =>
  Object.fromEntries(
    readShadowGuardrails(
      { triggers, guardrails },
      pairs,
      { breakerOpen: false },
      { run: 1, stages: 3 },
    ).readings.map((reading) => [reading.name, reading]),
  );

describe('a difference without variation is judged as it is, never passed for want of a test', () => {
  it('a shadow stage fails when every user has the same worse paired difference', () => {
    // Every shadow call fails while every served call succeeds: a difference of -1 for each user.
    const failing = shadowReadings(pairsOf(20, { success: true }, { success: false }));
    expect(failing['paired:success_rate']).toMatchObject({
      ok: false,
      value: -1,
      interval: [-1, -1],
    });
    // A steady quality drop of 0.25 (above min_quality, far beyond the 2 % margin).
    const worse = shadowReadings(
      pairsOf(20, { success: true, quality: 0.9 }, { success: true, quality: 0.65 }),
    );
    expect(worse['paired:quality_score']!.ok).toBe(false);
    expect(worse['paired:quality_score']!.value).toBeCloseTo(-0.25, 12);
    // The same answers from both: no difference, and it passes.
    const same = shadowReadings(
      pairsOf(20, { success: true, quality: 0.8 }, { success: true, quality: 0.8 }),
    );
    expect(same['paired:quality_score']).toMatchObject({ ok: true, value: 0 });
    expect(same['paired:success_rate']).toMatchObject({ ok: true, value: 0 });
  });

  it('a regression guardrail fails when each arm is constant and LightRAG is worse', () => {
    const [success] = regressionGuardrails(guardrails);
    const worse = regression(
      success!,
      {
        treatment: { success_rate: constantArm(30, 0) },
        baseline: { success_rate: constantArm(30, 1) },
      },
      guardrails,
      0.05,
    );
    expect(worse).toMatchObject({ ok: false, value: -1, interval: [-1, -1] });
    const equal = regression(
      success!,
      {
        treatment: { success_rate: constantArm(30, 1) },
        baseline: { success_rate: constantArm(30, 1) },
      },
      guardrails,
      0.05,
    );
    expect(equal).toMatchObject({ ok: true, value: 0 });
  });
});
