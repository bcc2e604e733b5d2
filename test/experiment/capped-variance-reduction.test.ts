import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyCapping } from '../../src/experiment/capping.js';
import { analyzeExperiment, eventsSource } from '../../src/experiment/index.js';
import { tailSettingsOf } from '../../src/experiment/tail-settings.js';
import type { Effect } from '../../src/experiment/variance-reduction.js';
import { OUTCOME_METRICS, type TailMetric } from '../../src/metrics/index.js';
import { expectClose } from '../helpers/close-reports.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';

type Method = 'regression' | 'post_stratification';
type ReferenceEffect = Pick<Effect, 'estimate' | 'se' | 'df' | 'ci' | 'p_value'>;
interface ReferenceEntry {
  arms: Record<'lightrag' | 'perplexity', { mean: number }>;
  raw: ReferenceEffect;
  adjusted: ReferenceEffect;
  variance_reduction: number;
}

/** Computed once with numpy and scipy by test/fixtures/experiment/capped_variance_reduction.py. */
const capped = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'capped-variance-reduction.json'), 'utf8'),
) as {
  capping: Record<TailMetric, number>;
  caps: Record<TailMetric, Record<'lightrag' | 'perplexity', { cap: number; capped: number }>>;
  user: Record<TailMetric, Record<Method, ReferenceEntry>>;
};
/** The same log uncapped, by variance_reduction.py. */
const uncapped = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'variance-reduction.json'), 'utf8'),
) as { user: Record<string, Record<Method, ReferenceEntry>> };
const LOG = join(EXPERIMENT_FIXTURES, 'variance-reduction.jsonl');
const METHODS: Method[] = ['regression', 'post_stratification'];

const effect = ({ estimate, se, df, ci, p_value }: ReferenceEffect) => ({
  estimate,
  se,
  df,
  ci,
  p_value,
});

describe('variance reduction of a capped metric reads the capped values (capping before the adjustment)', () => {
  it('per user from the event log: the capped metrics adjusted as numpy does on clipped values, to 1e-10; the others as uncapped', async () => {
    const data = await eventsSource([LOG]).read();
    const report = analyzeExperiment(data, { capping: capped.capping });
    for (const entry of report.capping!) {
      const caps = capped.caps[entry.metric];
      expect(entry.arms!.lightrag.cap).toBe(caps.lightrag.cap);
      expect(entry.arms!.perplexity.cap).toBe(caps.perplexity.cap);
      expect(entry.arms!.lightrag.capped).toBe(caps.lightrag.capped);
    }
    const reduction = report.variance_reduction!;
    for (const [metric, methods] of Object.entries(capped.user) as [
      TailMetric,
      Record<Method, ReferenceEntry>,
    ][]) {
      for (const method of METHODS) {
        const expected = methods[method];
        const got = reduction.metrics[metric][method]!;
        const path = `${metric} ${method} capped`;
        expect(got, path).not.toBeNull();
        expectClose(effect(got.raw), effect(expected.raw), 1e-10, [], `${path} raw`);
        expectClose(effect(got.adjusted), effect(expected.adjusted), 1e-10, [], `${path} adjusted`);
        expectClose(
          got.adjusted.mean,
          [expected.arms.lightrag.mean, expected.arms.perplexity.mean],
          1e-10,
          [],
          `${path} adjusted means`,
        );
        expectClose(got.variance_reduction, expected.variance_reduction, 1e-10, [], path);
        // The raw side is the capped comparison of the metrics table, the one the winner reads.
        expectClose(got.raw.estimate, report.metrics[metric].estimate, 1e-12, [], path);
        // And it is not the uncapped one.
        const before = uncapped.user[metric]![method];
        expect(Math.abs(got.adjusted.se - before.adjusted.se) / before.adjusted.se).toBeGreaterThan(
          1e-3,
        );
      }
    }
    for (const metric of ['success_rate', 'quality_score', 'satisfaction'] as const) {
      for (const method of METHODS) {
        const expected = uncapped.user[metric]![method];
        const got = reduction.metrics[metric][method]!;
        expectClose(
          effect(got.adjusted),
          effect(expected.adjusted),
          1e-8,
          [],
          `${metric} uncapped`,
        );
      }
    }
    expect(report.notes.join('\n')).toMatch(
      /response_time is capped at each arm's 99th percentile before the users' means \(winsorized: see capping\); so is its variance reduction/,
    );
  });

  it('gives the same capped adjustment when four threads read parts of the log', async () => {
    const options = { capping: capped.capping };
    const one = analyzeExperiment(await eventsSource([LOG]).read(), options).variance_reduction!;
    const four = analyzeExperiment(
      await eventsSource([LOG], { threads: 4, parallelMinBytes: 1 }).read(),
      options,
    ).variance_reduction!;
    for (const metric of OUTCOME_METRICS) {
      for (const method of METHODS) {
        expectClose(
          effect(four.metrics[metric][method]!.adjusted),
          effect(one.metrics[metric][method]!.adjusted),
          1e-10,
          [],
          `${metric} ${method} threaded`,
        );
      }
    }
  });

  it('leaves a capped metric out of the adjustment, with a note, when the covariates come without the users to fold again', async () => {
    const data = await eventsSource([LOG]).read();
    const { units: _, ...withoutUsers } = data.covariates!;
    const settings = tailSettingsOf({ capping: { cost_per_query: 95 } });
    const result = applyCapping(data.stats, data.tails, settings, withoutUsers);
    expect(result.covariatesLeftOut).toEqual(['cost_per_query']);
    const report = analyzeExperiment(
      { ...data, covariates: withoutUsers },
      { capping: { cost_per_query: 95 } },
    );
    expect(report.variance_reduction!.metrics.cost_per_query.regression).toBeNull();
    expect(report.variance_reduction!.metrics.response_time.regression).not.toBeNull();
    expect(report.notes.join('\n')).toMatch(
      /cost_per_query has no variance reduction: it is capped, and the data keeps no covariates per user/,
    );
  });
});
