import { describe, expect, it } from 'vitest';
import type { ExperimentReport, TailComparison } from '../../src/experiment/index.js';
import type { PerformanceSummary } from '../../src/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { postOutcomes, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const BODY = `rollout_percentage: 100
enable_ab_testing: true
rollback_triggers: {enabled: false}
experiment:
  capping: {response_time: 99}
  tail_percentiles: [95, 99]
`;

async function getJson<Body>(url: string): Promise<Body> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Body;
}

/** Response times of one arm: most around `typical` ms, a fifth three times slower. */
function outcomes(cohort: 'lightrag' | 'perplexity', typical: number) {
  return Array.from({ length: 500 }, (_, index) => ({
    backend: cohort,
    cohort,
    success: true,
    latencyMs: typical * (1 + (index % 97) / 97) * (index % 5 === 0 ? 3 : 1),
  }));
}

describe('GET /v1/experiment: the tail test from the live histograms', () => {
  it("gives each arm's p95 and p99 (the summary's, from the same HDR histograms) and their difference with a request-level interval; capping from the environment is reported as not possible live", async () => {
    const temp = await tempConfigDir({ [ENV]: BODY });
    const server = await testServer({ configDir: temp.dir, watch: false, anonymousOutcomes: true });
    for (const [cohort, typical] of [
      ['lightrag', 900],
      ['perplexity', 600],
    ] as const) {
      const posted = await postOutcomes(`${server.url}/v1/outcomes`, outcomes(cohort, typical));
      expect(posted.status).toBe(200);
    }
    const report = await getJson<ExperimentReport>(`${server.url}/v1/experiment`);
    const summary = await getJson<PerformanceSummary>(`${server.url}/v1/summary`);
    expect(report.tails).toMatchObject({ unit: 'request', method: 'woodruff' });
    const [p95, p99] = report.tails.comparisons as [TailComparison, TailComparison];
    const [lightrag, perplexity] = [p95.arms.lightrag!, p95.arms.perplexity!];
    expect(p95.percentile).toBe(95);
    expect(lightrag.value).toBe(summary.cohorts.lightrag.p95_response_time);
    expect(perplexity.value).toBe(summary.cohorts.perplexity.p95_response_time);
    expect(p99.arms.lightrag!.value).toBe(summary.cohorts.lightrag.p99_response_time);
    expect(lightrag.values).toBe(500);
    expect(p95.difference).toBeCloseTo(lightrag.value - perplexity.value, 12);
    expect(p95.interval![0]).toBeGreaterThan(0);
    expect(p95.significant).toBe(true);
    expect(report.capping).toEqual([
      {
        metric: 'response_time',
        percentile: 99,
        unit: 'request',
        arms: null,
        missing: 'no_values',
      },
    ]);
    expect(report.notes.join('\n')).toMatch(/the tail test is per request/);
    expect(report.notes.join('\n')).toMatch(/response_time is not capped/);
  });
});
