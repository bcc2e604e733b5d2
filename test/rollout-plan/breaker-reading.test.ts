import { describe, expect, it } from 'vitest';
import type { RollbackTriggerSettings } from '../../src/config/types.js';
import { type PlanMetrics, readGuardrails } from '../../src/rollout-plan/guardrails.js';
import { readShadowGuardrails } from '../../src/rollout-plan/shadow-guardrails.js';
import { PairedTally } from '../../src/shadow/paired-tally.js';
import { DEFAULT_GUARDRAILS, PLAN_TRIGGERS } from '../helpers/plan-simulation.js';

const metrics = (breakerOpen: boolean | null): PlanMetrics => ({
  unit: 'user',
  arms: { treatment: {}, baseline: {} },
  breakerOpen,
  p95Seconds: null,
  rollback: null,
});

/** The circuit-breaker reading of a serving stage and of a shadow stage, or undefined. */
function breakerReadings(breakerOpen: boolean | null, triggers: RollbackTriggerSettings) {
  const settings = { triggers, guardrails: DEFAULT_GUARDRAILS };
  const served = readGuardrails(settings, { treatment: {}, baseline: {} }, metrics(breakerOpen));
  const tally = new PairedTally();
  const shadow = readShadowGuardrails(
    settings,
    { units: tally.units, totals: tally.totals },
    { breakerOpen },
    { run: 1, stages: 3 },
  ).readings;
  return [served, shadow].map((readings) =>
    readings.find((reading) => reading.name === 'circuit_breaker'),
  );
}

describe("the circuit breaker's guardrail, in a serving stage and a shadow stage alike", () => {
  it('an open breaker fails with the plan action; closed passes; a source that cannot tell passes and says so', () => {
    for (const reading of breakerReadings(true, PLAN_TRIGGERS)) {
      expect(reading).toMatchObject({
        value: 1,
        threshold: 'closed',
        ok: false,
        action: 'roll_back',
      });
    }
    for (const reading of breakerReadings(false, PLAN_TRIGGERS)) {
      expect(reading).toMatchObject({ value: 0, ok: true });
      expect(reading!.note).toBeUndefined();
    }
    for (const reading of breakerReadings(null, PLAN_TRIGGERS)) {
      expect(reading).toMatchObject({
        value: null,
        ok: true,
        note: 'not available from this metrics source',
      });
    }
  });

  it('is not read when the plan does not roll back on the breaker, or its triggers are off', () => {
    const off = [
      { ...PLAN_TRIGGERS, on_circuit_breaker_open: false },
      { ...PLAN_TRIGGERS, enabled: false },
    ];
    for (const triggers of off)
      expect(breakerReadings(true, triggers)).toEqual([undefined, undefined]);
  });
});
