import { describe, expect, it } from 'vitest';
import { expectedShares, simulate } from '../../src/simulation/simulate.js';
import { chiSquare } from '../../src/statistics/chi-square.js';
import { routerIn } from '../helpers/test-router.js';

async function routerWith(body: string) {
  return (await routerIn({ 'environments/development.yaml': body })).router;
}

describe('simulate', () => {
  it('routes every synthetic user and compares the split with the configured one', async () => {
    const router = await routerWith('rollout_percentage: 40\nenable_ab_testing: true\n');
    const report = await simulate(router, { users: 3000, seed: 's' });
    expect(report.backends.lightrag + report.backends.perplexity).toBe(3000);
    const { lightrag, perplexity, control } = report.cohorts;
    expect(lightrag.count + perplexity.count + control.count).toBe(3000);
    expect([lightrag.expected, perplexity.expected, control.expected]).toEqual([0.2, 0.2, 0.6]);
    expect(report.chiSquare?.dof).toBe(2);
    expect(report.chiSquare?.pValue).toBeGreaterThan(0.001);
    // The same seed routes the same users the same way.
    expect(await simulate(router, { users: 3000, seed: 's' })).toEqual(report);
  });

  it('has no split to test when no decision reaches assignment', async () => {
    const router = await routerWith('integration_enabled: false\n');
    const report = await simulate(router, { users: 10 });
    expect(report.chiSquare).toBeNull();
    expect(report.reasons).toEqual({ feature_disabled: 10 });
  });

  it('expects no fallback arm without A/B testing', () => {
    expect(expectedShares(30, false)).toEqual({ lightrag: 0.3, perplexity: 0, control: 0.7 });
  });

  it('chi-square matches scipy.stats.chisquare', () => {
    // scipy.stats.chisquare([260, 240, 500], [250, 250, 500]) -> statistic 0.8, p 0.670320046
    const fit = chiSquare([260, 240, 500], [0.25, 0.25, 0.5]);
    expect(fit.statistic).toBeCloseTo(0.8, 12);
    expect(fit.dof).toBe(2);
    expect(fit.pValue).toBeCloseTo(0.670320046035639, 9);
  });
});
