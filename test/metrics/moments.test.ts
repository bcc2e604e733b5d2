import { describe, expect, it } from 'vitest';
import {
  formatMetric,
  METRIC_TABLE,
  MetricMoments,
  meanOf,
  metricSpec,
  metricValue,
  type Outcome,
  varianceOf,
} from '../../src/metrics/index.js';

/** A deterministic stream of outcomes with every metric, some failures and gaps. */
function outcomes(count: number, offset = 0): Outcome[] {
  return Array.from({ length: count }, (_, i) => {
    const k = i + offset;
    const outcome: Outcome = { success: k % 7 !== 0, latencyMs: 1800 + ((k * 37) % 900) };
    if (k % 3 !== 0) outcome.quality = ((k * 13) % 100) / 100;
    if (k % 5 !== 0) outcome.costUsd = 0.001 + (k % 4) / 1000;
    if (k % 2 === 0) outcome.satisfaction = ((k * 7) % 10) / 10;
    return outcome;
  });
}

describe('the metric table', () => {
  it('reads each metric from its field, in its unit, over the outcomes it counts', () => {
    const failed: Outcome = { success: false, latencyMs: 2500, quality: 0.4 };
    const served: Outcome = { success: true, latencyMs: 1830, costUsd: 0.002 };
    const values = (outcome: Outcome) =>
      Object.fromEntries(METRIC_TABLE.map((row) => [row.name, metricValue(row, outcome)]));
    expect(values(served)).toEqual({
      response_time: 1.83,
      success_rate: 1,
      quality_score: undefined,
      cost_per_query: 0.002,
      satisfaction: undefined,
    });
    // A failed call's time is the time to fail, not a response time.
    expect(values(failed)).toMatchObject({ response_time: undefined, success_rate: 0 });
    expect(metricSpec('response_time')).toMatchObject({ field: 'latencyMs', better: 'lower' });
  });

  it('formats as the report and the dashboard show', () => {
    expect(formatMetric('response_time', 1.83)).toBe('1.830 s');
    expect(formatMetric('success_rate', 0.975)).toBe('97.50 %');
    expect(formatMetric('cost_per_query', 0.002)).toBe('$0.00200');
    expect(formatMetric('quality_score', 0.8)).toBe('0.800');
  });
});

describe('MetricMoments', () => {
  it('merged parts equal the whole, metric by metric', () => {
    const whole = new MetricMoments();
    for (const outcome of outcomes(1000)) whole.add(outcome);
    const parts = [new MetricMoments(), new MetricMoments(), new MetricMoments()];
    for (const [index, outcome] of outcomes(1000).entries()) parts[index % 3]!.add(outcome);
    const merged = new MetricMoments();
    for (const part of parts) merged.merge(part);
    for (const row of METRIC_TABLE) {
      const [a, b] = [whole.of(row.name), merged.of(row.name)];
      expect(b.n).toBe(a.n);
      expect(b.sum).toBeCloseTo(a.sum, 9);
      expect(b.sum_of_squares).toBeCloseTo(a.sum_of_squares, 9);
    }
    expect(whole.of('success_rate').n).toBe(1000);
    expect(whole.of('response_time').n).toBe(1000 - Math.ceil(1000 / 7));
  });

  it('shifted power sums give the same mean and variance, and stay exact far from 0', () => {
    const raw = new MetricMoments({});
    const shifted = new MetricMoments({ response_time: 2, cost_per_query: 0.002 });
    for (const outcome of outcomes(5000)) {
      raw.add(outcome);
      shifted.add(outcome);
    }
    for (const metric of ['response_time', 'cost_per_query'] as const) {
      expect(meanOf(shifted.of(metric))).toBeCloseTo(meanOf(raw.of(metric))!, 12);
      expect(varianceOf(shifted.of(metric))).toBeCloseTo(varianceOf(raw.of(metric))!, 12);
    }
    expect(shifted.of('response_time').shift).toBe(2);
    expect(raw.of('response_time').shift).toBeUndefined();
    // Values of 1e9 + small spread: raw sums of squares lose the spread, shifted ones keep it.
    const far = new MetricMoments({ cost_per_query: 1e9 });
    for (const value of [1e9 + 1, 1e9 + 2, 1e9 + 3]) far.add({ success: true, costUsd: value });
    expect(varianceOf(far.of('cost_per_query'))).toBe(1);
    expect(() => far.merge(raw)).toThrow(/different shifts/);
  });

  it('sums travel as one typed array (worker threads) and add back', () => {
    const a = new MetricMoments();
    for (const outcome of outcomes(50)) a.add(outcome);
    const b = new MetricMoments();
    b.addSums(a.exportSums());
    expect(b.snapshot()).toEqual(a.snapshot());
    b.reset();
    expect(b.of('success_rate')).toEqual({ n: 0, sum: 0, sum_of_squares: 0 });
  });
});
