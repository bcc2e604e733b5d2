import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsOf } from '../../src/experiment/experiment-settings.js';
import {
  covariatesFromPrometheus,
  covariatesOfRequests,
} from '../../src/experiment/request-covariates.js';
import { varianceReduction } from '../../src/experiment/variance-reduction.js';
import { metricValues, OUTCOME_METRICS } from '../../src/metrics/index.js';
import {
  MAX_REQUEST_COVARIATE_COLUMNS,
  type OutcomeEvent,
  RequestCovariateSums,
} from '../../src/outcomes/index.js';
import { expectClose } from '../helpers/close-reports.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';

/** Computed once with numpy's lstsq and scipy by test/fixtures/experiment/variance_reduction.py. */
const reference = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'variance-reduction.json'), 'utf8'),
) as {
  request: Record<string, Record<string, { adjusted: Record<string, unknown> }>>;
};
const events = readFileSync(join(EXPERIMENT_FIXTURES, 'variance-reduction.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as OutcomeEvent);

const effect = (value: Record<string, unknown>) => ({
  estimate: value.estimate,
  se: value.se,
  df: value.df,
  ci: value.ci,
  p_value: value.p_value,
});

function tallyOf(list: readonly OutcomeEvent[]): RequestCovariateSums {
  const sums = new RequestCovariateSums();
  for (const event of list)
    sums.add(event.cohort === 'lightrag' ? 0 : 1, metricValues(event), event.covariates);
  return sums;
}

/** A Prometheus that answers the `sum by` query with the instances' products summed by name. */
function prometheusOf(instances: RequestCovariateSums[]): typeof fetch {
  const summed = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const instance of instances) {
    for (const { arm, metric, row, column, value } of instance.namedProducts()) {
      const labels = {
        cohort: arm === 0 ? 'lightrag' : 'perplexity',
        metric: OUTCOME_METRICS[metric]!,
        shift: String(instance.snapshot().shifts[metric]),
        row,
        column,
      };
      const key = JSON.stringify(labels);
      const known = summed.get(key) ?? { labels, value: 0 };
      known.value += value;
      summed.set(key, known);
    }
  }
  const result = [...summed.values()].map(({ labels, value }) => ({
    metric: labels,
    value: [0, String(value)],
  }));
  return (async () =>
    new Response(
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }),
    )) as typeof fetch;
}

describe('request-level covariate sums (the router tally behind /metrics and the live report)', () => {
  it('the adjustment from them equals the numpy reference per request (least squares with an intercept, exact post-stratification)', () => {
    const data = covariatesOfRequests(tallyOf(events).snapshot())!;
    expect(data.unit).toBe('request');
    const reduction = varianceReduction(data, settingsOf({}));
    expect(reduction.request_level).toBe(true);
    for (const [metric, methods] of Object.entries(reference.request)) {
      for (const [method, expected] of Object.entries(methods)) {
        const got = reduction.metrics[metric as 'quality_score'][method as 'regression']!;
        expectClose(
          effect(got.adjusted as never),
          effect(expected.adjusted),
          1e-8,
          [],
          `${metric} ${method}`,
        );
      }
    }
  });

  it("add across instances: two instances' products summed by name (their columns met in another order) are the union's", async () => {
    // The second instance meets the levels in reverse order.
    const halves = [
      events.filter((_, index) => index % 2 === 0),
      events.filter((_, index) => index % 2 === 1).reverse(),
    ];
    const fleet = await covariatesFromPrometheus(new URL('http://prometheus.invalid'), {
      fetch: prometheusOf(halves.map(tallyOf)),
    });
    const union = covariatesOfRequests(tallyOf(events).snapshot())!;
    expect([...fleet!.columns].sort()).toEqual([...union.columns].sort());
    const [a, b] = [fleet!, union].map((data) => varianceReduction(data, settingsOf({})));
    for (const metric of OUTCOME_METRICS) {
      for (const method of ['regression', 'post_stratification'] as const) {
        expectClose(
          effect(a!.metrics[metric][method]!.adjusted as never),
          effect(b!.metrics[metric][method]!.adjusted as never),
          1e-9,
          [],
          `${metric} ${method}`,
        );
      }
    }
  });

  it('outcomes without covariates give no adjustment; levels beyond the bound are left out and counted', () => {
    const plain = tallyOf(events.map(({ covariates: _, ...event }) => event as OutcomeEvent));
    expect(covariatesOfRequests(plain.snapshot())).toBeNull();
    const many = new RequestCovariateSums();
    for (let level = 0; level < 40; level += 1)
      many.add(level % 2 === 0 ? 0 : 1, metricValues({ success: true, quality: 0.5 }), {
        region: `r${level}`,
      });
    const snapshot = many.snapshot();
    expect(snapshot.columns).toHaveLength(MAX_REQUEST_COVARIATE_COLUMNS);
    expect(snapshot.droppedLevels).toBe(40 - (MAX_REQUEST_COVARIATE_COLUMNS - 2));
  });
});
