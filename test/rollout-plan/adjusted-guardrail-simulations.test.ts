import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper } from '../../src/statistics/index.js';
import { simulatePlans } from '../helpers/plan-simulation.js';

/** The median and 90th percentile of the users per arm seen until the plans acted. */
function quantiles(units: readonly number[]): { median: number; p90: number } {
  const sorted = [...units].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)]!,
    p90: sorted[Math.floor(0.9 * (sorted.length - 1))]!,
  };
}

describe('simulations: guardrails on covariate-adjusted estimates keep the plan alpha (issues 25 and 29)', () => {
  it('2,000 A/A plans of five stages with repeat users, adjusted by regression: false step-down-or-rollback within alpha + 1 pp (upper 95 % Clopper-Pearson)', () => {
    const started = performance.now();
    const result = simulatePlans({
      plans: 2000,
      seed: 29_001,
      usersPerLook: 100,
      covariates: true,
      guardrails: { adjustment: 'regression' },
    });
    const upper = clopperPearsonUpper(result.stoppedOrSteppedDown, result.plans);
    console.log(
      `A/A adjusted per user: ${result.stoppedOrSteppedDown} of ${result.plans} plans stepped down or rolled back (upper CP ${(upper * 100).toFixed(2)} %), ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(result.completed + result.stoppedOrSteppedDown).toBe(result.plans);
    expect(upper).toBeLessThanOrEqual(0.05 + 0.01);
  }, 60_000);

  it('500 A/A plans adjusted by post-stratification on a query type that explains nothing: within alpha + 1 pp', () => {
    const result = simulatePlans({
      plans: 500,
      seed: 29_002,
      usersPerLook: 100,
      covariates: true,
      guardrails: { adjustment: 'post_stratification' },
    });
    const upper = clopperPearsonUpper(result.stoppedOrSteppedDown, result.plans);
    console.log(
      `A/A post-stratified per user: ${result.stoppedOrSteppedDown} of ${result.plans} (upper CP ${(upper * 100).toFixed(2)} %)`,
    );
    expect(result.completed + result.stoppedOrSteppedDown).toBe(result.plans);
    expect(upper).toBeLessThanOrEqual(0.05 + 0.01);
  }, 30_000);

  it('power: a true 3 % quality drop is caught sooner adjusted than raw, on the same seeded users', () => {
    const options = {
      plans: 200,
      seed: 29_100,
      usersPerLook: 100,
      qualityDrop: 0.03,
      covariates: true,
    };
    const raw = simulatePlans({ ...options, guardrails: { adjustment: 'none' } });
    const adjusted = simulatePlans({ ...options, guardrails: { adjustment: 'regression' } });
    const [r, a] = [quantiles(raw.unitsAtAction), quantiles(adjusted.unitsAtAction)];
    console.log(
      `3 % quality drop: raw caught ${raw.stoppedOrSteppedDown} of 200 (users per arm: median ${r.median}, 90th percentile ${r.p90}); adjusted caught ${adjusted.stoppedOrSteppedDown} (median ${a.median}, 90th percentile ${a.p90})`,
    );
    expect(adjusted.stoppedOrSteppedDown).toBeGreaterThanOrEqual(raw.stoppedOrSteppedDown);
    expect(adjusted.causes['regression:quality_score']).toBe(adjusted.stoppedOrSteppedDown);
    expect(a.median).toBeLessThan(r.median);
  }, 60_000);
});
