import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper } from '../../src/statistics/index.js';
import { simulatePlans } from '../helpers/plan-simulation.js';

describe('simulations: the plan keeps its alpha with repeat users (issue 25)', () => {
  it('2,000 A/A plans of five stages: false step-down-or-rollback within alpha + 1 pp (upper 95 % Clopper-Pearson)', () => {
    const started = performance.now();
    const result = simulatePlans({ plans: 2000, seed: 25_001, usersPerLook: 100 });
    const upper = clopperPearsonUpper(result.stoppedOrSteppedDown, result.plans, 0.05);
    console.log(
      `A/A per user: ${result.stoppedOrSteppedDown} of ${result.plans} plans stepped down or rolled back (upper CP ${(upper * 100).toFixed(2)} %), ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(result.completed + result.stoppedOrSteppedDown).toBe(result.plans);
    expect(upper).toBeLessThanOrEqual(0.05 + 0.01);
  });

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
});
