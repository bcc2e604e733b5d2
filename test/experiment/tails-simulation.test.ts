import { describe, expect, it } from 'vitest';
import { tailTest } from '../../src/experiment/tail-test.js';
import type { ArmValues, TailData } from '../../src/experiment/tail-values.js';
import { clopperPearsonUpper } from '../../src/statistics/index.js';
import { SeededRandom } from '../helpers/seeded-random.js';

/**
 * Seeded simulations of the tail test (issue 29, item 4): both arms drawn from one
 * distribution (the true difference of every percentile is 0), 300 users per arm with 1..9
 * requests each, a user's latencies sharing a lognormal user effect as large as the
 * request's own spread, so that requests of one user are correlated as real users' are. Each
 * experiment runs the report's own tail test at the user unit, and again with every request
 * taken as its own unit (what a request-level histogram alone allows).
 */

const REPLICATES = 2000;
const USERS = 300;
const ALPHA = 0.05;

function arm(random: SeededRandom, users = USERS): ArmValues {
  const clusterOf: number[] = [];
  const values: number[] = [];
  for (let user = 0; user < users; user += 1) {
    const own = 0.5 * random.normal();
    for (let request = random.integer(1, 9); request > 0; request -= 1) {
      clusterOf.push(user);
      values.push(0.8 * Math.exp(own + 0.5 * random.normal()));
    }
  }
  return {
    clusters: users,
    clusterOf: Int32Array.from(clusterOf),
    values: Float64Array.from(values),
  };
}

const perRequest = (values: ArmValues): ArmValues => ({
  clusters: values.values.length,
  clusterOf: Int32Array.from(values.values, (_, index) => index),
  values: values.values,
});

const tails = (unit: 'user' | 'request', arms: [ArmValues, ArmValues]): TailData => ({
  unit,
  metrics: { response_time: arms, cost_per_query: arms },
});

describe('the tail test keeps its false-alarm rate at the user unit (seeded simulation)', () => {
  it(`misses the true difference of p95 and p99 no more than alpha + 1 pp over ${REPLICATES} experiments (upper 95 % Clopper-Pearson bound), where a per-request interval misses far more`, () => {
    const random = new SeededRandom(2904);
    const misses = { user: [0, 0], request: [0, 0] };
    for (let replicate = 0; replicate < REPLICATES; replicate += 1) {
      const arms: [ArmValues, ArmValues] = [arm(random), arm(random)];
      for (const [unit, data] of [
        ['user', arms],
        ['request', [perRequest(arms[0]), perRequest(arms[1])]],
      ] as const) {
        const report = tailTest(tails(unit, data as [ArmValues, ArmValues]), unit, [95, 99], {
          alpha: ALPHA,
          sequential: false,
          sequentialTuning: 5000,
        });
        for (const [index, comparison] of report.comparisons.entries()) {
          expect(comparison.missing).toBeNull();
          const [lower, upper] = comparison.interval!;
          if (lower > 0 || upper < 0) misses[unit][index]! += 1;
        }
      }
    }
    for (const index of [0, 1]) {
      const bound = clopperPearsonUpper(misses.user[index]!, REPLICATES);
      expect(
        bound,
        `user-level misses at p${[95, 99][index]}: ${misses.user[index]}`,
      ).toBeLessThanOrEqual(ALPHA + 0.01);
      // Taking a user's correlated requests as independent makes the interval too narrow.
      expect(misses.request[index]! / REPLICATES).toBeGreaterThan(ALPHA + 0.03);
    }
  }, 120_000);
});

/**
 * The first `users` users of an arm drawn user by user: what a look at the data sees while
 * users keep arriving.
 */
function firstUsers(all: ArmValues, users: number): ArmValues {
  let end = 0;
  while (end < all.values.length && all.clusterOf[end]! < users) end += 1;
  return {
    clusters: users,
    clusterOf: all.clusterOf.subarray(0, end),
    values: all.values.subarray(0, end),
  };
}

const MONITORED = 1000;
const LAST = 600;
const LOOKS = Array.from({ length: 11 }, (_, look) => 100 + 50 * look);

describe('the tail test under continuous monitoring (seeded simulation)', () => {
  it(`false-alarms at most alpha + 1 pp over ${MONITORED} A/A experiments looked at ${LOOKS.length} times each on its always-valid interval (upper 95 % Clopper-Pearson bound), where the fixed-horizon interval, looked at as often, false-alarms far more`, () => {
    const random = new SeededRandom(1108);
    const alarms = { sequential: [0, 0], fixed: [0, 0] };
    for (let replicate = 0; replicate < MONITORED; replicate += 1) {
      const all: [ArmValues, ArmValues] = [arm(random, LAST), arm(random, LAST)];
      const ever = { sequential: [false, false], fixed: [false, false] };
      for (const users of LOOKS) {
        const seen: [ArmValues, ArmValues] = [firstUsers(all[0], users), firstUsers(all[1], users)];
        const report = tailTest(tails('user', seen), 'user', [95, 99], {
          alpha: ALPHA,
          sequential: true,
          // Tightest at the experiment's last look, as a plan would tune it.
          sequentialTuning: 2 * LAST,
        });
        for (const [index, comparison] of report.comparisons.entries()) {
          if (comparison.missing) continue;
          const excludes = ([low, high]: [number, number]) => low > 0 || high < 0;
          if (excludes(comparison.sequential_interval!)) ever.sequential[index] = true;
          if (excludes(comparison.interval!)) ever.fixed[index] = true;
          expect(comparison.significant).toBe(excludes(comparison.sequential_interval!));
        }
      }
      for (const index of [0, 1]) {
        if (ever.sequential[index]) alarms.sequential[index]! += 1;
        if (ever.fixed[index]) alarms.fixed[index]! += 1;
      }
    }
    for (const index of [0, 1]) {
      const name = `p${[95, 99][index]}`;
      expect(
        clopperPearsonUpper(alarms.sequential[index]!, MONITORED),
        `${name}: ${alarms.sequential[index]} always-valid false alarms`,
      ).toBeLessThanOrEqual(ALPHA + 0.01);
      expect(
        alarms.fixed[index]! / MONITORED,
        `${name}: ${alarms.fixed[index]} fixed-horizon false alarms`,
      ).toBeGreaterThan(ALPHA + 0.03);
    }
  }, 120_000);
});
