import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addMoments, summarize } from '../../src/experiment/arm-moments.js';
import { analyzeExperiment, type ExperimentStats } from '../../src/experiment/index.js';
import {
  CentredMoments,
  METRIC_REFERENCES,
  MetricMoments,
  type Moments,
  meanOf,
  OUTCOME_METRICS,
  rebased,
  subtractMoments,
  varianceOf,
} from '../../src/metrics/index.js';
import type { OutcomeEvent } from '../../src/outcomes/index.js';
import { summarizePowerSums } from '../../src/statistics/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

interface FarArm {
  n: number;
  mean: number;
  variance: number;
  numpy_variance: number;
  raw_power_sum_variance: number;
  users: number;
  user_mean: number;
  user_variance: number;
}
interface WelchReference {
  estimate: number;
  p_value: number;
  df: number;
  scipy_p_value?: number;
}

/** Computed once by test/fixtures/statistics/numerics.py: exact rationals, numpy and scipy. */
const reference = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'statistics', 'numerics.json'), 'utf8'),
) as {
  far_latencies: {
    events: { unit: string; cohort: 'lightrag' | 'perplexity'; latencyMs: number }[];
    arms: Record<'lightrag' | 'perplexity', FarArm>;
    request_welch: WelchReference;
    user_welch: WelchReference;
  };
  shifted_sums: { values: number[]; shift: number; mean: number; variance: number };
};
const far = reference.far_latencies;

const relative = (actual: number | null | undefined, expected: number) =>
  Math.abs((actual ?? Number.NaN) - expected) / Math.abs(expected);

const RESPONSE_TIME = OUTCOME_METRICS.indexOf('response_time');

function farEvents(): OutcomeEvent[] {
  return far.events.map(({ unit, cohort, latencyMs }) => ({
    time: '2026-12-06T10:00:00Z',
    unit,
    cohort,
    backend: cohort,
    success: true,
    latencyMs,
  }));
}

describe('numerics: a small spread beside a large mean (response times of 3000 s +/- 1 us)', () => {
  it('raw power sums lose the spread entirely (numpy too); Welford and Chan keep it exactly', () => {
    for (const arm of ['lightrag', 'perplexity'] as const) {
      const { variance, numpy_variance, raw_power_sum_variance } = far.arms[arm];
      // The case itself: mean / sd is about 3e9, so sum(x^2) - sum(x)^2 / n is all rounding.
      expect(raw_power_sum_variance).toBe(0);
      expect(relative(numpy_variance, variance)).toBeLessThan(1e-12);
      const values = far.events
        .filter((event) => event.cohort === arm)
        .map((event) => event.latencyMs / 1000);
      const raw = new MetricMoments({});
      for (const value of values) raw.addAt(RESPONSE_TIME, value);
      expect(relative(varianceOf(raw.of('response_time')), variance)).toBeGreaterThan(0.5);
      // Three threads' parts merged by Chan's formula, each kept by Welford's update.
      const parts = [new CentredMoments(), new CentredMoments(), new CentredMoments()];
      for (const [index, value] of values.entries()) parts[index % 3]!.addAt(RESPONSE_TIME, value);
      const whole = new CentredMoments();
      for (const part of parts) whole.merge(part.exportState());
      const moments = whole.of('response_time');
      expect(moments.n).toBe(values.length);
      expect(relative(meanOf(moments), far.arms[arm].mean)).toBeLessThan(1e-15);
      expect(relative(varianceOf(moments), variance)).toBeLessThan(1e-9);
      expect(relative(summarize(moments)!.variance, variance)).toBeLessThan(1e-9);
    }
  });

  it('the report per request and per user matches the exact rational reference', () => {
    const events = farEvents();
    for (const unit of ['request', 'user'] as const) {
      const report = analyzeExperiment(events, {
        unit,
        primary: 'response_time',
        guardrails: [],
        allowRequestLevelWinner: true,
      });
      const line = report.metrics.response_time;
      const welch = unit === 'request' ? far.request_welch : far.user_welch;
      expect(line.missing, unit).toBeNull();
      const [lightrag, perplexity] = [far.arms.lightrag, far.arms.perplexity];
      const means =
        unit === 'request'
          ? [lightrag.mean, perplexity.mean]
          : [lightrag.user_mean, perplexity.user_mean];
      expect(relative(line.mean[0], means[0]!)).toBeLessThan(1e-15);
      expect(relative(line.mean[1], means[1]!)).toBeLessThan(1e-15);
      // The difference is 4e-7 s between means of 3000 s, whose last place is 4.5e-13 s: the
      // means' own rounding is 1e-6 of it, and a p-value of 1e-6 at t = 5 moves 25 times that.
      expect(relative(line.estimate, welch.estimate), `${unit} estimate`).toBeLessThan(1e-5);
      expect(relative(line.df, welch.df), `${unit} df`).toBeLessThan(1e-6);
      expect(relative(line.p_value, welch.p_value), `${unit} p`).toBeLessThan(1e-4);
      expect(line.significant).toBe(true);
    }
    // scipy, from the same doubles, agrees to its own rounding.
    expect(relative(far.request_welch.scipy_p_value!, far.request_welch.p_value)).toBeLessThan(
      1e-4,
    );
  });

  it('experiment report --events, the CLI on a file of those events, says the same', async () => {
    const temp = await tempConfigDir({});
    const file = join(temp.dir, 'far.jsonl');
    await writeFile(
      file,
      `${farEvents()
        .map((event) => JSON.stringify(event))
        .join('\n')}\n`,
    );
    const run = await runCli([
      'experiment',
      'report',
      '--events',
      file,
      '--unit',
      'user',
      '--primary',
      'response_time',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout);
    const line = report.metrics.response_time;
    expect(relative(line.p_value, far.user_welch.p_value)).toBeLessThan(1e-4);
    expect(relative(line.estimate, far.user_welch.estimate)).toBeLessThan(1e-5);
  });

  it('two constant arms (0.9 x 50 against 0.7 x 50) have no variation, so no test and no winner', () => {
    const events: OutcomeEvent[] = [];
    for (let user = 0; user < 100; user += 1) {
      const cohort = user % 2 === 0 ? 'lightrag' : 'perplexity';
      events.push({
        time: '2026-12-06T10:00:00Z',
        unit: `u${user}`,
        cohort,
        backend: cohort,
        success: true,
        quality: cohort === 'lightrag' ? 0.9 : 0.7,
      });
    }
    for (const unit of ['request', 'user'] as const) {
      const report = analyzeExperiment(events, { unit, allowRequestLevelWinner: true });
      expect(report.metrics.quality_score).toMatchObject({
        mean: [0.9, 0.7],
        p_value: null,
        missing: 'no_variation',
      });
      expect(report.winner).toBeNull();
    }
  });
});

describe('numerics: sums around a shift', () => {
  const { values, shift, mean, variance } = reference.shifted_sums;
  const sumsAround = (around: number): Moments => {
    const moments: Moments = { n: values.length, sum: 0, sum_of_squares: 0 };
    for (const value of values) {
      moments.sum += value - around;
      moments.sum_of_squares += (value - around) ** 2;
    }
    if (around !== 0) moments.shift = around;
    return moments;
  };

  it('values of 1e9 + 0..6: around a shift of 1e9 the variance is exact; raw sums cannot resolve it', () => {
    const shifted = sumsAround(shift);
    const summary = summarizePowerSums(shifted.n, shifted.sum, shifted.sum_of_squares, shift)!;
    expect(summary.mean).toBe(mean);
    expect(relative(summary.variance, variance)).toBeLessThan(1e-14);
    const raw = sumsAround(0);
    expect(summarizePowerSums(raw.n, raw.sum, raw.sum_of_squares)!.variance).toBe(0);
    // Given as statistics (schemas/experiment-stats.schema.json `shift`), the report reads them.
    const stats: ExperimentStats = {
      unit: 'request',
      arms: {
        // The same values plus 1: their sums around shift - 1, read as sums around shift.
        lightrag: { cost_per_query: { ...rebased(shifted, shift - 1), shift } },
        perplexity: { cost_per_query: shifted },
      },
    };
    const report = analyzeExperiment(stats, { allowRequestLevelWinner: true });
    expect(report.metrics.cost_per_query.estimate).toBeCloseTo(1, 9);
    expect(report.metrics.cost_per_query.missing).toBeNull();
    const rawReport = analyzeExperiment(
      {
        unit: 'request',
        arms: { lightrag: { cost_per_query: raw }, perplexity: { cost_per_query: raw } },
      },
      { allowRequestLevelWinner: true },
    );
    expect(rawReport.metrics.cost_per_query).toMatchObject({ missing: 'no_variation' });
    expect(rawReport.metrics.cost_per_query.note).toMatch(/a shift near the mean/);
  });

  it('sums around different shifts move to one exactly: add, subtract, and back', () => {
    const around = sumsAround(shift);
    const raw = sumsAround(0);
    const moved = rebased(around, 1e9 + 3);
    expect(moved.shift).toBe(1e9 + 3);
    expect(meanOf(moved)).toBe(mean);
    expect(relative(varianceOf(moved), variance)).toBeLessThan(1e-14);
    const twice = addMoments(around, moved);
    expect(twice.n).toBe(2 * values.length);
    expect(
      relative(varianceOf(twice), (variance * (values.length - 1) * 2) / (2 * values.length - 1)),
    ).toBeLessThan(1e-12);
    const back = subtractMoments(twice, moved);
    expect(back).toMatchObject({ n: values.length, shift });
    expect(relative(varianceOf(back), variance)).toBeLessThan(1e-12);
    // Raw sums of 1e9-sized values move too, but keep the rounding they were taken with.
    expect(meanOf(rebased(raw, shift))).toBeCloseTo(mean, 3);
  });

  it("a router's sums are taken around the metric table's fixed references, the same in every instance", () => {
    expect(METRIC_REFERENCES).toMatchObject({ response_time: 1, success_rate: 0 });
    const a = new MetricMoments();
    const b = new MetricMoments();
    a.add({ success: true, latencyMs: 1500 });
    b.add({ success: false, latencyMs: 900 });
    b.add({ success: true, latencyMs: 2500 });
    expect(a.of('response_time')).toEqual({ n: 1, sum: 0.5, sum_of_squares: 0.25, shift: 1 });
    // Sums of one shift add as they are (Prometheus's sum by): the success rate's are counts.
    a.merge(b);
    expect(a.of('response_time')).toEqual({ n: 2, sum: 2, sum_of_squares: 2.5, shift: 1 });
    expect(a.of('success_rate')).toEqual({ n: 3, sum: 2, sum_of_squares: 2 });
    expect(meanOf(a.of('response_time'))).toBe(2);
  });
});
