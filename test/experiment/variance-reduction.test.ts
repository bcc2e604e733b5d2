import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsOf } from '../../src/experiment/experiment-settings.js';
import { analyzeExperiment, eventsSource } from '../../src/experiment/index.js';
import { varianceReduction } from '../../src/experiment/variance-reduction.js';
import {
  CovariateDesign,
  METRIC_TABLE,
  metricValue,
  OUTCOME_METRICS,
} from '../../src/metrics/index.js';
import type { OutcomeEvent } from '../../src/outcomes/index.js';
import type { CovariateMoments } from '../../src/statistics/index.js';
import { expectClose } from '../helpers/close-reports.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';

/** Computed once with numpy's lstsq and scipy by test/fixtures/experiment/variance_reduction.py. */
const reference = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'variance-reduction.json'), 'utf8'),
) as Record<'user' | 'request', Record<string, Record<string, ReferenceEntry>>>;
const LOG = join(EXPERIMENT_FIXTURES, 'variance-reduction.jsonl');

interface ReferenceEffect {
  estimate: number;
  se: number;
  df: number;
  ci: [number, number];
  p_value: number;
}
interface ReferenceEntry {
  arms: Record<'lightrag' | 'perplexity', { mean: number; variance: number; rank: number }>;
  raw: ReferenceEffect;
  adjusted: ReferenceEffect;
  variance_reduction: number;
}

const effect = (value: ReferenceEffect) => ({
  estimate: value.estimate,
  se: value.se,
  df: value.df,
  ci: value.ci,
  p_value: value.p_value,
});

describe('variance reduction with query covariates, against numpy least squares and scipy', () => {
  it('per user, from the event log through the report: regression and post-stratification equal the reference to 1e-8, raw and adjusted side by side', async () => {
    const data = await eventsSource([LOG]).read();
    const report = analyzeExperiment(data);
    const reduction = report.variance_reduction!;
    expect(reduction.unit).toBe('user');
    expect(reduction.request_level).toBe(false);
    expect([...reduction.columns].sort()).toEqual(
      [
        'lengthBucket',
        'complexity',
        ...['factual', 'analytical', 'creative', 'code', 'chat'].map((t) => `queryType=${t}`),
        ...['eu', 'us', 'apac'].map((r) => `region=${r}`),
      ].sort(),
    );
    for (const [metric, methods] of Object.entries(reference.user)) {
      for (const [method, expected] of Object.entries(methods)) {
        const got =
          reduction.metrics[metric as keyof typeof reduction.metrics][method as 'regression']!;
        const path = `${metric} ${method}`;
        expect(got, path).not.toBeNull();
        expectClose(effect(got.raw), effect(expected.raw), 1e-8, [], `${path} raw`);
        expectClose(effect(got.adjusted), effect(expected.adjusted), 1e-8, [], `${path} adjusted`);
        expectClose(
          got.adjusted.mean,
          [expected.arms.lightrag.mean, expected.arms.perplexity.mean],
          1e-9,
          [],
          `${path} adjusted means`,
        );
        expect(got.variance_reduction).toBeCloseTo(expected.variance_reduction, 8);
        // The raw comparison is the report's own (the delta method per user).
        expect(got.raw.estimate).toBeCloseTo(
          report.metrics[metric as keyof typeof report.metrics].estimate!,
          12,
        );
      }
    }
    // Four worker threads, each a part of the file, merged: the same figures (their columns
    // matched by name, whatever order each thread met them in).
    const threaded = analyzeExperiment(
      await eventsSource([LOG], { threads: 4, parallelMinBytes: 1 }).read(),
    ).variance_reduction!;
    for (const metric of OUTCOME_METRICS) {
      for (const method of ['regression', 'post_stratification'] as const) {
        expectClose(
          effect(threaded.metrics[metric][method]!.adjusted),
          effect(reduction.metrics[metric][method]!.adjusted),
          1e-9,
          [],
          `${metric} ${method} threaded`,
        );
      }
    }
    // Where the covariates explain the outcome, the interval is narrower.
    for (const metric of ['response_time', 'quality_score', 'cost_per_query'] as const) {
      const regression = reduction.metrics[metric].regression!;
      expect(regression.variance_reduction, metric).toBeGreaterThan(0.3);
      expect(regression.adjusted.se).toBeLessThan(regression.raw.se);
    }
  });

  it('per request, from sums (d = c = 1): ordinary least squares with an intercept, and exact post-stratification, equal the reference', async () => {
    const events = readFileSync(LOG, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as OutcomeEvent);
    // Request-level sums of (y, 1, 1, x) and their cross-products, as a source of sums keeps them.
    const design = new CovariateDesign();
    for (const event of events) if (event.covariates) design.addRow(undefined, event.covariates);
    const size = 3 + design.names.length;
    const empty = (): CovariateMoments => ({
      n: 0,
      sums: new Array<number>(size).fill(0),
      products: new Array<number>(size * size).fill(0),
    });
    const arms = [OUTCOME_METRICS.map(empty), OUTCOME_METRICS.map(empty)] as [
      CovariateMoments[],
      CovariateMoments[],
    ];
    for (const event of events) {
      const row = event.covariates ? design.addRow(undefined, event.covariates) : undefined;
      for (const [index, spec] of METRIC_TABLE.entries()) {
        const y = metricValue(spec, event);
        if (y === undefined) continue;
        const v = [y, 1, 1, ...Array.from({ length: size - 3 }, (_, j) => row?.[j] ?? 0)];
        const into = arms[event.cohort === 'lightrag' ? 0 : 1][index]!;
        into.n += 1;
        for (let a = 0; a < size; a += 1) {
          into.sums[a]! += v[a]!;
          for (let b = 0; b < size; b += 1) into.products[a * size + b]! += v[a]! * v[b]!;
        }
      }
    }
    const zeros = OUTCOME_METRICS.map(() => 0);
    const reduction = varianceReduction(
      { unit: 'request', columns: design.names, dropped_levels: 0, shifts: [zeros, zeros], arms },
      settingsOf({}),
    );
    expect(reduction.request_level).toBe(true);
    for (const [metric, methods] of Object.entries(reference.request)) {
      for (const [method, expected] of Object.entries(methods)) {
        const got =
          reduction.metrics[metric as keyof typeof reduction.metrics][method as 'regression']!;
        const path = `${metric} ${method} per request`;
        // Raw power sums (no shift) lose digits to the means' squares: 1e-7 here.
        expectClose(effect(got.adjusted), effect(expected.adjusted), 1e-7, [], path);
        expectClose(
          got.adjusted.mean,
          [expected.arms.lightrag.mean, expected.arms.perplexity.mean],
          1e-9,
          [],
          `${path} means`,
        );
      }
    }
  });
});
