import { describe, expect, it } from 'vitest';
import { statsFromPrometheus } from '../../src/experiment/prometheus-source.js';

type Sample = [number, number];

/**
 * A Prometheus that holds raw samples of the three series of one cohort's success rate on two
 * instances, and answers instant queries of a series (the value at `time`, 5 min lookback) and
 * of a range selector (the samples in the window), as the real one does.
 */
function fakePrometheus(series: Record<string, Record<string, Sample[]>>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    const promql = url.searchParams.get('query') ?? '';
    const time = Number(url.searchParams.get('time'));
    const match = /^(\w+)(?:\[(\d+)h\])?$/.exec(promql);
    if (!match) {
      return Response.json({ status: 'error', error: `unexpected query ${promql}` });
    }
    const [, name, window] = match;
    const rows = Object.entries(series[name!] ?? {}).map(([instance, samples]) => {
      const metric = { __name__: name!, instance, cohort: 'lightrag', metric: 'success_rate' };
      if (window === undefined) {
        const last = samples.filter(([at]) => at <= time && at > time - 300).at(-1);
        return last ? { metric, value: [last[0], String(last[1])] } : undefined;
      }
      const inWindow = samples.filter(([at]) => at > time - Number(window) * 3600 && at <= time);
      return { metric, values: inWindow.map(([at, value]) => [at, String(value)]) };
    });
    return Response.json({
      status: 'success',
      data: {
        resultType: window === undefined ? 'vector' : 'matrix',
        result: rows.filter(Boolean),
      },
    });
  }) as typeof fetch;
}

describe('experiment report --prometheus --range: the growth within the window, never extrapolated', () => {
  it('adds each instance from its value at the window start, through restarts, in whole counts', async () => {
    const now = Date.now() / 1000;
    const at = (secondsAgo: number) => now - secondsAgo;
    // Instance a: 10 outcomes (8 successes) before the window, then 12/9, 15/11; it restarts
    // and counts from 0 again: 2/2, 4/3. Instance b begins inside the window: 3/1, 5/2.
    const count = {
      a: [
        [at(3700), 10],
        [at(3000), 12],
        [at(2000), 15],
        [at(1000), 2],
        [at(10), 4],
      ] as Sample[],
      b: [
        [at(500), 3],
        [at(20), 5],
      ] as Sample[],
    };
    const sum = {
      a: [
        [at(3700), 8],
        [at(3000), 9],
        [at(2000), 11],
        [at(1000), 2],
        [at(10), 3],
      ] as Sample[],
      b: [
        [at(500), 1],
        [at(20), 2],
      ] as Sample[],
    };
    const stats = await statsFromPrometheus('http://prometheus.test', {
      range: '1h',
      fetch: fakePrometheus({
        flagroute_outcome_metric_count: count,
        flagroute_outcome_metric_sum: sum,
        flagroute_outcome_metric_sum_of_squares: sum,
      }),
    });
    // a: (12-10) + (15-12) + 2 + (4-2) = 9 outcomes, (9-8) + (11-9) + 2 + (3-2) = 6 successes;
    // b: 5 outcomes, 2 successes. The sample 3,700 s ago is a's value at the window's start.
    expect(stats.arms.lightrag.success_rate).toEqual({ n: 14, sum: 8, sum_of_squares: 8 });
  });
});
