import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment } from '../../src/experiment/analyze-experiment.js';
import { EventAccumulator } from '../../src/experiment/event-accumulator.js';
import { planExperiment } from '../../src/experiment/plan-experiment.js';
import {
  EXPERIMENT_FIXTURES,
  fixtureEvents,
  METRIC_STATISTICS,
} from '../helpers/experiment-fixtures.js';

/** Reference values computed once with scipy/numpy by test/fixtures/experiment/generate.py. */
const FIXTURES = EXPERIMENT_FIXTURES;
const reference = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as {
  datasets: Record<string, Record<'request' | 'user', ReferenceReport>>;
  plans: { baseline_mean: number; baseline_sd: number; mde: number; units_per_arm: number }[];
};

interface ReferenceReport {
  units: Record<string, number>;
  srm: { chi_square: number; p_value: number };
  metrics: Record<string, Record<string, number | number[] | string>>;
}

const eventsOf = fixtureEvents;

/** Equal to 1e-6 relative (1e-300 absolute, for values that underflow to 0 in both). */
function expectClose(actual: unknown, expected: number, path: string): void {
  expect(typeof actual, path).toBe('number');
  const scale = Math.max(Math.abs(expected), 1e-300);
  expect(
    Math.abs((actual as number) - expected) / scale,
    `${path}: ${actual} vs ${expected}`,
  ).toBeLessThan(1e-6);
}

const STATISTICS = METRIC_STATISTICS;

describe('experiment statistics against scipy/numpy references', () => {
  for (const [name, units] of Object.entries(reference.datasets)) {
    for (const unit of ['request', 'user'] as const) {
      it(`${name}, per ${unit}: every statistic to 1e-6`, () => {
        const expected = units[unit];
        const report = analyzeExperiment(eventsOf(name), { unit });
        expect(report.unit).toBe(unit);
        expect(report.units).toEqual(expected.units);
        expectClose(report.srm.chi_square, expected.srm.chi_square, 'srm.chi_square');
        expectClose(report.srm.p_value, expected.srm.p_value, 'srm.p_value');
        for (const [metric, values] of Object.entries(expected.metrics)) {
          const actual = report.metrics[metric as keyof typeof report.metrics] as unknown as Record<
            string,
            unknown
          >;
          expect(actual.better).toBe(values.better);
          for (const statistic of STATISTICS) {
            const value = values[statistic];
            if (Array.isArray(value)) {
              for (const [index, item] of value.entries()) {
                const got = (actual[statistic] as number[])[index];
                expectClose(got, item, `${metric}.${statistic}[${index}]`);
              }
            } else {
              expectClose(actual[statistic], value as number, `${metric}.${statistic}`);
            }
          }
        }
      });
    }
  }

  it('names the verdict each data set calls for', () => {
    const clear = analyzeExperiment(eventsOf('clear-winner'));
    expect(clear.unit).toBe('user');
    expect(clear).toMatchObject({ winner: null, reason: 'guardrail_regression' });
    expect(clear.verdict).toMatch(/response_time .*cost_per_query/);
    const onlyQualityGuards = analyzeExperiment(eventsOf('clear-winner'), {
      guardrails: ['success_rate', 'satisfaction'],
    });
    expect(onlyQualityGuards).toMatchObject({ winner: 'lightrag', reason: null });
    expectClose(
      onlyQualityGuards.confidence_level,
      1 - (reference.datasets['clear-winner']!.user.metrics.quality_score!.p_value_holm as number),
      'confidence_level',
    );
    expect(analyzeExperiment(eventsOf('no-difference'))).toMatchObject({
      winner: null,
      reason: 'inconclusive',
    });
    const srm = analyzeExperiment(eventsOf('srm'), { unit: 'request' });
    expect(srm).toMatchObject({
      winner: null,
      reason: 'sample_ratio_mismatch',
      srm: { mismatch: true, basis: 'users' },
    });
  });

  it('gives the same report from the sufficient statistics as from the events', () => {
    for (const unit of ['request', 'user'] as const) {
      const accumulator = new EventAccumulator();
      for (const event of eventsOf('clear-winner')) accumulator.add(event);
      const fromStats = analyzeExperiment(JSON.parse(JSON.stringify(accumulator.stats(unit))));
      const fromEvents = analyzeExperiment(eventsOf('clear-winner'), { unit });
      expect(fromStats.metrics).toEqual(fromEvents.metrics);
      expect(fromStats.winner).toBe(fromEvents.winner);
    }
  });

  it('plans sample sizes as the normal-approximation reference does', () => {
    for (const plan of reference.plans) {
      const planned = planExperiment({
        mde: plan.mde,
        baselineMean: plan.baseline_mean,
        baselineSd: plan.baseline_sd,
      });
      expect(planned.units_per_arm).toBe(plan.units_per_arm);
      expect(
        planExperiment({
          mde: plan.mde,
          baselineMean: plan.baseline_mean,
          baselineSd: plan.baseline_sd,
          unitsPerDay: 1000,
        }).days,
      ).toBeCloseTo((2 * plan.units_per_arm) / 1000, 12);
    }
  });
});
