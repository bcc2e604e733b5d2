import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { analyzeExperiment, eventsSource } from '../../src/experiment/index.js';
import {
  bucketCountOf,
  bucketHighest,
  bucketIndex,
  bucketOfValue,
  LatencyHistogram,
  TAIL_SCALES,
} from '../../src/metrics/index.js';
import {
  clusteredQuantile,
  clusteredQuantiles,
  confidenceSequenceHalfWidth,
  histogramQuantile,
} from '../../src/statistics/index.js';
import { expectClose } from '../helpers/close-reports.js';
import { REPO_DIR } from '../helpers/config-dir.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';
import { SeededRandom } from '../helpers/seeded-random.js';

/** Computed once with numpy and scipy by test/fixtures/experiment/tails.py. */
const reference = JSON.parse(readFileSync(join(EXPERIMENT_FIXTURES, 'tails.json'), 'utf8')) as {
  alpha: number;
  percentiles: number[];
  capping: Record<'response_time' | 'cost_per_query', number>;
  tails: Array<
    Record<string, unknown> & {
      percentile: number;
      difference: number;
      standard_error: number;
      arms: Record<'lightrag' | 'perplexity', { units: number }>;
    }
  >;
  capped: Array<{
    metric: 'response_time' | 'cost_per_query';
    percentile: number;
    arms: Record<string, unknown>;
    comparison: Record<string, unknown>;
  }>;
};
const LOG = join(EXPERIMENT_FIXTURES, 'tails.jsonl');

describe('the HDR buckets of the tail metrics', () => {
  it("are hdr-histogram-js's: any latency's percentile read from the buckets is LatencyHistogram's", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3_600_000_000 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 1, max: 99.99, noNaN: true }),
        (micros, percentile) => {
          const histogram = new LatencyHistogram();
          for (const value of micros) histogram.add(value / 1000);
          const buckets = micros
            .map((value) => bucketOfValue(value / 1e6, TAIL_SCALES.response_time))
            .sort((a, b) => a - b);
          const rank = Math.max(Math.ceil((percentile / 100) * micros.length - 1e-9), 1);
          const expected = histogram.percentileSeconds(percentile)!;
          expect(bucketHighest(buckets[rank - 1]!) / 1e6).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("bucket index by shift equals hdr's division by a power of two for every whole number below 2^32", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), (value) => {
        const bucket = Math.max(32 - Math.clz32(value) - 8, 0);
        expect(bucketIndex(value)).toBe((bucket + 1) * 128 + Math.floor(value / 2 ** bucket) - 128);
      }),
      { numRuns: 2000 },
    );
  });

  it('put every value in the bucket whose range holds it, and bucket indices grow with values', () => {
    let previous = -1;
    for (const value of [1, 2, 255, 256, 257, 511, 512, 513, 1023, 1024, 65_535, 4_294_967_295]) {
      const index = bucketIndex(value);
      expect(index).toBeGreaterThanOrEqual(previous);
      expect(bucketHighest(index)).toBeGreaterThanOrEqual(value);
      expect(index === 0 || bucketHighest(index - 1) < value).toBe(true);
      previous = index;
    }
  });
});

describe('the tail test and capping, against numpy and scipy', () => {
  it("per user from the event log: each arm's p95 and p99 with Woodruff's interval and their difference equal the reference to 1e-9", async () => {
    const report = analyzeExperiment(await eventsSource([LOG]).read(), {
      tailPercentiles: reference.percentiles,
    });
    expect(report.tails.unit).toBe('user');
    expect(report.tails.method).toBe('woodruff');
    expect(report.tails.comparisons.map((c) => c.percentile)).toEqual([95, 99]);
    for (const [index, expected] of reference.tails.entries()) {
      const got = report.tails.comparisons[index]!;
      expect(got.missing).toBeNull();
      expectClose(got, { ...expected, missing: null, significant: true }, 1e-9, [
        'sequential_interval',
      ]);
      // The always-valid interval: the same standard error in the metrics' confidence sequence.
      const users = expected.arms.lightrag.units + expected.arms.perplexity.units;
      const half = confidenceSequenceHalfWidth(expected.standard_error, users, 0.05, 5000);
      expectClose(
        got.sequential_interval,
        [expected.difference - half, expected.difference + half],
        1e-9,
      );
      expect(half).toBeGreaterThan(got.difference! - got.interval![0]);
    }
    // l0000 is in both arms and left out: 299 LightRAG users, 300 Perplexity users.
    expect(report.tails.comparisons[0]!.arms.lightrag!.units).toBe(299);
    expect(report.tails.comparisons[0]!.arms.perplexity!.units).toBe(300);
  });

  it('caps response time at the 99th and cost at the 95th percentile of each arm, then compares per user as numpy.clip and scipy do', async () => {
    const data = await eventsSource([LOG]).read();
    const report = analyzeExperiment(data, { capping: reference.capping });
    expect(report.capping!.map((entry) => entry.metric)).toEqual([
      'response_time',
      'cost_per_query',
    ]);
    for (const expected of reference.capped) {
      const entry = report.capping!.find((capped) => capped.metric === expected.metric)!;
      expect(entry.unit).toBe('user');
      expect(entry.missing).toBeNull();
      expectClose(entry.arms, expected.arms, 1e-12);
      const metric = report.metrics[expected.metric];
      expectClose(
        { n: metric.n, mean: metric.mean, estimate: metric.estimate, ci: metric.ci },
        {
          n: expected.comparison.n,
          mean: expected.comparison.mean,
          estimate: expected.comparison.estimate,
          ci: expected.comparison.ci,
        },
        1e-9,
      );
      expect(metric.p_value!).toBeCloseTo(expected.comparison.p_value as number, 12);
      expect(metric.df!).toBeCloseTo(expected.comparison.df as number, 6);
    }
    expect(report.notes.join('\n')).toMatch(
      /response_time is capped at each arm's 99th percentile before the users' means/,
    );
    // Uncapped, the means are the raw ones.
    const raw = analyzeExperiment(data);
    expect(raw.capping).toBeUndefined();
    expect(raw.metrics.cost_per_query.mean[0]).toBeCloseTo(
      (reference.capped[1]!.arms.lightrag as { raw_mean: number }).raw_mean,
      12,
    );
  });
});

describe('request-level quantiles from a histogram', () => {
  it("equal the clustered ones with every value its own cluster, and read the live histogram's buckets", () => {
    const random = new SeededRandom(95);
    const histogram = new LatencyHistogram();
    const seconds = Array.from({ length: 2000 }, () => Math.exp(random.normal()) * 0.7);
    for (const value of seconds) histogram.add(value * 1000);
    const counts = histogram.bucketCounts();
    const buckets = Int32Array.from(seconds, (value) =>
      bucketOfValue(value, TAIL_SCALES.response_time),
    );
    const secondsOf = (bucket: number) => bucketHighest(bucket) / 1e6;
    for (const p of [0.5, 0.95, 0.99]) {
      const fromCounts = histogramQuantile(counts, p, 0.05, secondsOf)!;
      const clustered = clusteredQuantile(
        { clusterCount: seconds.length, clusters: Int32Array.from(seconds, (_, i) => i), buckets },
        p,
        0.05,
        secondsOf,
        bucketCountOf(TAIL_SCALES.response_time),
      )!;
      expect(fromCounts.value).toBe(histogram.percentileSeconds(p * 100));
      expectClose(fromCounts, clustered, 1e-12);
    }
  });
});

describe('the tail values through worker threads', () => {
  it('give the same tail test and capping when the log is read by three threads as by one', async () => {
    const built = (await import(
      join(REPO_DIR, 'dist', 'index.js')
    )) as typeof import('../../src/index.js');
    const options = { capping: reference.capping };
    const one = await built.readEventFiles([LOG], { threads: 1 });
    const three = await built.readEventFiles([LOG], { threads: 3, parallelMinBytes: 0 });
    for (const unit of ['user', 'request'] as const) {
      const a = built.reportFromEvents(one.accumulator, { ...options, unit });
      const b = built.reportFromEvents(three.accumulator, { ...options, unit });
      expectClose(b.tails, a.tails, 1e-12);
      expectClose(b.capping, a.capping, 1e-12);
      expect(b.metrics.response_time.p_value!).toBeCloseTo(a.metrics.response_time.p_value!, 12);
    }
  });
});

describe("an accumulator's tail values", () => {
  it('are built per metric when read (the tail test reads response time only), from the values folded when asked for', async () => {
    const { readEventFiles } = await import('../../src/experiment/index.js');
    const { TailValues } = await import('../../src/experiment/tail-values.js');
    const read = await readEventFiles([LOG], { threads: 1 });
    const built = vi.spyOn(TailValues.prototype, 'armValues');
    const data = read.accumulator.tailData('user')!;
    const before = data.metrics.response_time[0].values.length;
    expect(built).toHaveBeenCalledTimes(1);
    // Values folded after the data was asked for are not in it, even in a metric read later.
    const cost = (await readEventFiles([LOG], { threads: 1 })).accumulator.tailData('user')!.metrics
      .cost_per_query;
    built.mockClear();
    const lines = readFileSync(LOG, 'utf8').trim().split('\n').slice(0, 200);
    for (const line of lines) read.accumulator.add(JSON.parse(line));
    expect(data.metrics.cost_per_query).toEqual(cost);
    expect(data.metrics.response_time[0].values.length).toBe(before);
    expect(built).toHaveBeenCalledTimes(1);
    built.mockRestore();
  });
});

describe('tail values joined from another fold', () => {
  it('are exported with their slots moved, as if folded here', async () => {
    const { TailValues } = await import('../../src/experiment/tail-values.js');
    const theirs = new TailValues();
    theirs.add(0, 1, 0.5);
    theirs.add(-1, 0, 0.25);
    theirs.add(1, 0, 2);
    const here = new TailValues();
    here.add(0, 0, 1);
    here.merge(theirs.exportState(), 5);
    here.merge(theirs.exportState(), Int32Array.from([7, 3]));
    here.add(1, 1, 3);
    const state = here.exportState();
    expect([...state.slots]).toEqual([0, 1, 5, -1, 6, 7, -1, 3]);
    expect([...state.arms]).toEqual([0, 1, 1, 0, 0, 1, 0, 0]);
    expect([...state.values]).toEqual([1, 3, 0.5, 0.25, 2, 0.5, 0.25, 2]);
  });
});

describe('clustered quantiles at several percentiles', () => {
  it('are exactly those found one percentile at a time', () => {
    const random = new SeededRandom(28);
    const clusters = Int32Array.from({ length: 5000 }, () => random.integer(0, 699));
    const buckets = Int32Array.from(clusters, () =>
      bucketOfValue(Math.exp(random.normal()) * 0.7, TAIL_SCALES.response_time),
    );
    const group = { clusterCount: 700, clusters, buckets };
    const size = bucketCountOf(TAIL_SCALES.response_time);
    const secondsOf = (bucket: number) => bucketHighest(bucket) / 1e6;
    const ps = [0.5, 0.9, 0.95, 0.99];
    const together = clusteredQuantiles(group, ps, 0.05, secondsOf, size);
    expect(together).toEqual(ps.map((p) => clusteredQuantile(group, p, 0.05, secondsOf, size)));
    expect(new Set(together.map((quantile) => quantile!.bucket)).size).toBe(4);
  });
});
