import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment } from '../../src/experiment/analyze-experiment.js';
import { type ArmMoments, addMoments, rebasedArm } from '../../src/experiment/arm-moments.js';
import { EventAccumulator } from '../../src/experiment/event-accumulator.js';
import type { ExperimentStats } from '../../src/experiment/experiment-data.js';
import { OUTCOME_METRICS } from '../../src/metrics/index.js';
import type { OutcomeEvent } from '../../src/outcomes/index.js';

const event = fc.record(
  {
    time: fc.constant('2026-11-26T10:00:00Z'),
    unit: fc.integer({ min: 0, max: 40 }).map((n) => `u${n}`),
    cohort: fc.constantFrom('lightrag' as const, 'perplexity' as const),
    backend: fc.constantFrom('lightrag' as const, 'perplexity' as const),
    success: fc.boolean(),
    latencyMs: fc.integer({ min: 0, max: 10_000 }),
    quality: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
    costUsd: fc.integer({ min: 0, max: 1000 }).map((n) => n / 10_000),
    satisfaction: fc.integer({ min: 0, max: 20 }).map((n) => n / 20),
  },
  { requiredKeys: ['time', 'unit', 'cohort', 'backend', 'success'] },
);
// One arm per unit, as assignment by hash gives.
const consistent = (events: OutcomeEvent[]) =>
  events.map((e) => ({
    ...e,
    cohort: Number(e.unit!.slice(1)) % 2 === 0 ? ('lightrag' as const) : ('perplexity' as const),
  }));

function statsOf(events: OutcomeEvent[], unit: 'request' | 'user'): ExperimentStats {
  const accumulator = new EventAccumulator();
  for (const e of events) accumulator.add(e);
  return accumulator.stats(unit);
}

function mergeStats(a: ExperimentStats, b: ExperimentStats): ExperimentStats {
  const arm = (x: ExperimentStats['arms']['lightrag'], y: ExperimentStats['arms']['lightrag']) =>
    Object.fromEntries(
      OUTCOME_METRICS.map((m) => [m, addMoments(x[m] as ArmMoments, y[m] as ArmMoments)]),
    );
  return {
    unit: a.unit,
    arms: {
      lightrag: arm(a.arms.lightrag, b.arms.lightrag),
      perplexity: arm(a.arms.perplexity, b.arms.perplexity),
    },
  };
}

/** Equal statistics: each metric's sums moved to one shift (the parts' may differ), field by field. */
function closeTo(a: ExperimentStats, b: ExperimentStats): void {
  for (const arm of ['lightrag', 'perplexity'] as const) {
    for (const metric of OUTCOME_METRICS) {
      const shift = b.arms[arm][metric]!.shift ?? 0;
      const x = rebasedArm(a.arms[arm][metric]!, shift) as unknown as Record<string, number>;
      const y = b.arms[arm][metric] as unknown as Record<string, number>;
      for (const key of Object.keys(y)) {
        expect(Math.abs(x[key]! - y[key]!), `${arm} ${metric} ${key}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(y[key]!)),
        );
      }
    }
  }
}

describe('experiment statistics: properties', () => {
  it('merging the sufficient statistics of split data equals the statistics of the whole', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 80 }),
        fc.integer({ min: 0, max: 80 }),
        (raw, cut) => {
          const events = consistent(raw as OutcomeEvent[]);
          // Request unit: any split of the events.
          const at = Math.min(cut, events.length);
          closeTo(
            mergeStats(
              statsOf(events.slice(0, at), 'request'),
              statsOf(events.slice(at), 'request'),
            ),
            statsOf(events, 'request'),
          );
          // User unit: a split by user (the sums are over users).
          const even = events.filter((e) => Number(e.unit!.slice(1)) < cut / 2);
          const odd = events.filter((e) => Number(e.unit!.slice(1)) >= cut / 2);
          closeTo(mergeStats(statsOf(even, 'user'), statsOf(odd, 'user')), statsOf(events, 'user'));
        },
      ),
      { seed: 20261126, numRuns: 200 },
    );
  });

  it('the report does not depend on the order of the events', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 10, maxLength: 60 }), fc.integer(), (raw, seed) => {
        const events = consistent(raw as OutcomeEvent[]);
        const shuffled = fc.sample(
          fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          { seed, numRuns: 1 },
        )[0]!;
        const a = analyzeExperiment(events, { unit: 'user' });
        const b = analyzeExperiment(shuffled, { unit: 'user' });
        for (const metric of OUTCOME_METRICS) {
          const [x, y] = [a.metrics[metric], b.metrics[metric]];
          expect(y.n).toEqual(x.n);
          if (x.p_value === null) expect(y.p_value).toBeNull();
          else expect(y.p_value).toBeCloseTo(x.p_value, 9);
        }
        expect(b.winner).toBe(a.winner);
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it('a null simulation at alpha 0.05 rejects in 3-7 % of 2,000 runs (request unit, seeded)', () => {
    // Both arms from one normal distribution (Box-Muller on fast-check's seeded doubles).
    const uniforms = fc.sample(fc.double({ min: 1e-12, max: 1, noNaN: true }), {
      seed: 42,
      numRuns: 2000 * 2 * 60,
    });
    let cursor = 0;
    const normal = () => {
      const u = uniforms[cursor++]!;
      const v = uniforms[cursor++]!;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    const arm = () => {
      const moments = { n: 30, sum: 0, sum_of_squares: 0 };
      for (let i = 0; i < 30; i += 1) {
        const x = 1.8 + 0.4 * normal();
        moments.sum += x;
        moments.sum_of_squares += x * x;
      }
      return moments;
    };
    let rejected = 0;
    for (let run = 0; run < 2000; run += 1) {
      const report = analyzeExperiment({
        unit: 'request',
        arms: { lightrag: { response_time: arm() }, perplexity: { response_time: arm() } },
      });
      if ((report.metrics.response_time.p_value ?? 1) < 0.05) rejected += 1;
    }
    expect(rejected / 2000).toBeGreaterThanOrEqual(0.03);
    expect(rejected / 2000).toBeLessThanOrEqual(0.07);
  });
});
