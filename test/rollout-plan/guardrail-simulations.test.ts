import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper } from '../../src/statistics/index.js';
import { simulatePlans } from '../helpers/plan-simulation.js';

describe('simulations: the plan keeps its alpha with repeat users (issue 25)', () => {
  it('2,000 A/A plans of five stages: false step-down-or-rollback within alpha + 1 pp (upper 95 % Clopper-Pearson)', () => {
    const started = performance.now();
    const result = simulatePlans({ plans: 2000, seed: 25_001, usersPerLook: 100 });
    const upper = clopperPearsonUpper(result.stoppedOrSteppedDown, result.plans);
    console.log(
      `A/A per user: ${result.stoppedOrSteppedDown} of ${result.plans} plans stepped down or rolled back (upper CP ${(upper * 100).toFixed(2)} %), ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(result.completed + result.stoppedOrSteppedDown).toBe(result.plans);
    expect(upper).toBeLessThanOrEqual(0.05 + 0.01);
    // The bound on the simulation's time (about 16 s here on a loaded machine).
  }, 60_000);

  it('for contrast: the same plans judged on request sums false-alarm far more often', () => {
    const result = simulatePlans({
      plans: 300,
      seed: 25_002,
      usersPerLook: 100,
      requestLevel: true,
    });
    console.log(
      `A/A per request: ${result.stoppedOrSteppedDown} of ${result.plans} plans stepped down or rolled back`,
    );
    expect(result.stoppedOrSteppedDown / result.plans).toBeGreaterThan(0.1);
  });

  it('power: a true 5 % quality drop is caught in every one of 200 plans, within 600 users per arm in 90 % of them', () => {
    const result = simulatePlans({
      plans: 200,
      seed: 25_100,
      usersPerLook: 100,
      qualityDrop: 0.05,
    });
    const units = [...result.unitsAtAction].sort((a, b) => a - b);
    console.log(
      `5 % quality drop: caught in ${result.stoppedOrSteppedDown} of ${result.plans}; users per arm until then: median ${units[Math.floor((units.length - 1) / 2)]}, 90th percentile ${units[Math.floor(0.9 * (units.length - 1))]}`,
    );
    expect(result.stoppedOrSteppedDown).toBe(result.plans);
    expect(result.causes).toEqual({ 'regression:quality_score': result.plans });
    expect(units[Math.floor(0.9 * (units.length - 1))]).toBeLessThanOrEqual(600);
  });
});
