import { describe, expect, it } from 'vitest';
import {
  type ArmMoments,
  analyzeExperiment,
  type ExperimentStats,
  planExperiment,
} from '../../src/experiment/index.js';
import type { OutcomeMetric } from '../../src/metrics/index.js';
import { clopperPearsonUpper } from '../../src/statistics/index.js';
import { SeededRandom } from '../helpers/seeded-random.js';

/**
 * Seeded simulations on sufficient statistics (issue 24): each replicate draws the statistics an
 * experiment would have, never its single requests, so thousands of replicates take seconds.
 */

/** User-level moments of n users with one value each, from a sample mean and variance. */
function userMoments(n: number, mean: number, variance: number): ArmMoments {
  const sum = n * mean;
  return {
    n,
    sum,
    sum_of_squares: (n - 1) * variance + n * mean * mean,
    denominator_sum: n,
    denominator_sum_of_squares: n,
    cross_sum: sum,
  };
}

/** The sample mean and variance of n normal values, drawn as their sufficient statistics. */
function sampleOf(random: SeededRandom, n: number, mu: number, sd: number): ArmMoments {
  const mean = mu + (sd / Math.sqrt(n)) * random.normal();
  const variance = (sd * sd * random.chiSquare(n - 1)) / (n - 1);
  return userMoments(n, mean, variance);
}

describe('simulations: the rule keeps its promises', () => {
  it('plan: the winner rule names a true 5 % improvement in 80 +/- 3 % of 1,000 experiments at the planned n', () => {
    const baseline = { mean: 0.78, sd: 0.12 };
    const guardrails: { metric: OutcomeMetric; mean: number; sd: number }[] = [
      { metric: 'response_time', mean: 1.8, sd: 0.6 },
      { metric: 'success_rate', mean: 0.97, sd: Math.sqrt(0.97 * 0.03) },
      { metric: 'cost_per_query', mean: 0.01, sd: 0.004 },
      { metric: 'satisfaction', mean: 0.7, sd: 0.2 },
    ];
    const plan = planExperiment({
      mde: 0.05,
      baselineMean: baseline.mean,
      baselineSd: baseline.sd,
      guardrails,
    });
    expect(plan.units_per_arm).toBeGreaterThan(plan.textbook_units_per_arm);
    const n = plan.units_per_arm;
    const random = new SeededRandom(24_006);
    let winners = 0;
    let textbookWinners = 0;
    const runs = 1000;
    for (let run = 0; run < runs; run += 1) {
      for (const [size, count] of [
        [n, 'planned'],
        [plan.textbook_units_per_arm, 'textbook'],
      ] as const) {
        const arm = (lift: number) => {
          const metrics: Partial<Record<OutcomeMetric, ArmMoments>> = {
            quality_score: sampleOf(random, size, baseline.mean * (1 + lift), baseline.sd),
          };
          for (const g of guardrails) metrics[g.metric] = sampleOf(random, size, g.mean, g.sd);
          return metrics;
        };
        const stats: ExperimentStats = {
          unit: 'user',
          units: { lightrag: size, perplexity: size },
          arms: { lightrag: arm(0.05), perplexity: arm(0) },
        };
        const report = analyzeExperiment(stats);
        if (report.winner === 'lightrag') {
          if (count === 'planned') winners += 1;
          else textbookWinners += 1;
        }
      }
    }
    expect(winners / runs).toBeGreaterThanOrEqual(0.77);
    expect(winners / runs).toBeLessThanOrEqual(0.83);
    // The textbook n ignores the guardrails: far below the power it promises.
    expect(textbookWinners / runs).toBeLessThan(0.5);
  });

  it('A/A with repeat users (1..50 requests, ICC 0.2): per user, a false winner in at most alpha (Clopper-Pearson); per request, far more', () => {
    const random = new SeededRandom(24_025);
    const users = 200;
    // At 200 users the delta method is a little liberal (about 5.3 %): the bound needs 10,000.
    const runs = 10_000;
    const requestRuns = 1000;
    let userWinners = 0;
    let requestAlarms = 0;
    const arm = () => {
      const user = {
        n: users,
        sum: 0,
        sum_of_squares: 0,
        denominator_sum: 0,
        denominator_sum_of_squares: 0,
        cross_sum: 0,
      };
      const request = { n: 0, sum: 0, sum_of_squares: 0 };
      for (let i = 0; i < users; i += 1) {
        const d = random.integer(1, 50);
        const level = 0.7 + 0.1 * random.normal();
        const noise = Math.sqrt(d) * 0.2 * random.normal();
        const m = d * level + noise;
        user.sum += m;
        user.sum_of_squares += m * m;
        user.denominator_sum += d;
        user.denominator_sum_of_squares += d * d;
        user.cross_sum += m * d;
        request.n += d;
        request.sum += m;
        // sum of x^2 over the user's requests: d level^2 + 2 level E + E^2/d + 0.04 chi2(d-1).
        request.sum_of_squares +=
          d * level * level +
          2 * level * noise +
          (noise * noise) / d +
          0.04 * random.chiSquare(d - 1);
      }
      return { user, request };
    };
    for (let run = 0; run < runs; run += 1) {
      const [t, b] = [arm(), arm()];
      const perUser = analyzeExperiment(
        {
          unit: 'user',
          units: { lightrag: users, perplexity: users },
          arms: { lightrag: { quality_score: t.user }, perplexity: { quality_score: b.user } },
        },
        { guardrails: [] },
      );
      if (perUser.winner !== null) userWinners += 1;
      if (run >= requestRuns) continue;
      const perRequest = analyzeExperiment(
        {
          unit: 'request',
          arms: {
            lightrag: { quality_score: t.request },
            perplexity: { quality_score: b.request },
          },
        },
        { guardrails: [], allowRequestLevelWinner: true },
      );
      if (perRequest.winner !== null) requestAlarms += 1;
      // Asked nothing, request-level data names no winner.
      if (run < 100) {
        const unasked = analyzeExperiment(
          {
            unit: 'request',
            arms: {
              lightrag: { quality_score: t.request },
              perplexity: { quality_score: b.request },
            },
          },
          { guardrails: [] },
        );
        expect(unasked.winner).toBeNull();
      }
    }
    expect(clopperPearsonUpper(userWinners, runs)).toBeLessThanOrEqual(0.05 + 0.01);
    expect(requestAlarms / requestRuns).toBeGreaterThan(0.25);
  });

  it('A/A split of users: the sample-ratio test false-alarms in at most 0.1 % + 1 pp of 2,000 experiments', () => {
    const random = new SeededRandom(24_003);
    const runs = 2000;
    let alarms = 0;
    for (let run = 0; run < runs; run += 1) {
      let lightrag = 0;
      const users = 2000;
      for (let i = 0; i < users; i += 1) if (random.uniform() < 0.5) lightrag += 1;
      const report = analyzeExperiment({
        unit: 'user',
        units: { lightrag, perplexity: users - lightrag },
        arms: { lightrag: {}, perplexity: {} },
      });
      if (report.srm.mismatch) alarms += 1;
    }
    expect(clopperPearsonUpper(alarms, runs)).toBeLessThanOrEqual(0.001 + 0.01);
  });
});
