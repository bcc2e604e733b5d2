import { describe, expect, it } from 'vitest';
import { settingsOf } from '../../src/experiment/experiment-settings.js';
import { UnitMomentsFold } from '../../src/experiment/index.js';
import { compareAdjusted } from '../../src/experiment/variance-reduction.js';
import { CovariateDesign, METRIC_TABLE, OUTCOME_METRICS } from '../../src/metrics/index.js';
import { clopperPearsonUpper } from '../../src/statistics/index.js';
import { SeededRandom } from '../helpers/seeded-random.js';

/**
 * Seeded simulations of the adjusted interval (issue 29): each replicate draws users with 1..4
 * queries, each query with its covariates (a type of three, a length bucket, a complexity) and
 * the user's region, and a quality that does or does not depend on them; users are folded as
 * the event log's accumulator folds them (per-user sums and covariate column sums through the
 * one fold) and compared by the report's own code. The true difference is known: `EFFECT`.
 */

const QUALITY = METRIC_TABLE.findIndex((spec) => spec.name === 'quality_score');
const SUCCESS = METRIC_TABLE.findIndex((spec) => spec.name === 'success_rate');
const EFFECT = 0.01;
const USERS = 150;
const TYPES = ['factual', 'analytical', 'code'];
const TYPE_EFFECT = [0, 0.06, -0.04];
const ALPHA = 0.05;
const SETTINGS = settingsOf({ alpha: ALPHA });

interface Outcome {
  missedRaw: boolean;
  missedAdjusted: boolean;
  seRaw: number;
  seAdjusted: number;
}

/** One experiment: both arms drawn, folded and compared; whether each interval missed EFFECT. */
function experiment(random: SeededRandom, explained: boolean): Outcome {
  const design = new CovariateDesign();
  // The design's columns, known in advance so that a query's row is four additions.
  const [bucketColumn, complexityColumn] = [0, 1];
  const typeColumns = TYPES.map((type) => design.columnOf(`queryType=${type}`)!);
  const regionColumns = ['eu', 'us'].map((region) => design.columnOf(`region=${region}`)!);
  const width = design.names.length;
  const users: { arm: 0 | 1; sums: Float64Array; covariates: Float64Array }[] = [];
  for (const arm of [0, 1] as const) {
    for (let user = 0; user < USERS; user += 1) {
      const sums = new Float64Array(METRIC_TABLE.length * 2);
      const covariates = new Float64Array(width);
      const own = 0.04 * random.normal();
      const region = random.uniform() < 0.5 ? 0 : 1;
      for (let query = random.integer(1, 4); query > 0; query -= 1) {
        const type = random.integer(0, 2);
        const bucket = random.integer(0, 8);
        const complexity = random.uniform();
        const signal = explained
          ? 0.03 * bucket - 0.2 * complexity + TYPE_EFFECT[type]! + (region === 0 ? 0.02 : 0)
          : 0;
        const quality = 0.5 + signal + own + 0.04 * random.normal() + (arm === 0 ? EFFECT : 0);
        sums[QUALITY * 2]! += quality;
        sums[QUALITY * 2 + 1]! += 1;
        sums[SUCCESS * 2]! += 1;
        sums[SUCCESS * 2 + 1]! += 1;
        covariates[bucketColumn]! += bucket;
        covariates[complexityColumn]! += complexity;
        covariates[typeColumns[type]!]! += 1;
        covariates[regionColumns[region]!]! += 1;
      }
      users.push({ arm, sums, covariates });
    }
  }
  const zeros = OUTCOME_METRICS.map(() => 0);
  const fold = new UnitMomentsFold([zeros, zeros], design.names.length);
  for (const { arm, sums, covariates } of users) fold.add(arm, sums, covariates);
  const compared = compareAdjusted(
    {
      unit: 'user',
      columns: design.names,
      dropped_levels: 0,
      shifts: [zeros, zeros],
      arms: fold.covariates,
    },
    QUALITY,
    'regression',
    SETTINGS,
  )!;
  const misses = (ci: [number, number]) => EFFECT < ci[0] || EFFECT > ci[1];
  return {
    missedRaw: misses(compared.raw.ci),
    missedAdjusted: misses(compared.adjusted.ci),
    seRaw: compared.raw.se,
    seAdjusted: compared.adjusted.se,
  };
}

function simulate(seed: number, runs: number, explained: boolean) {
  const random = new SeededRandom(seed);
  let missedRaw = 0;
  let missedAdjusted = 0;
  let ratio = 0;
  for (let run = 0; run < runs; run += 1) {
    const outcome = experiment(random, explained);
    if (outcome.missedRaw) missedRaw += 1;
    if (outcome.missedAdjusted) missedAdjusted += 1;
    ratio += outcome.seAdjusted / outcome.seRaw / runs;
  }
  return { missedRaw, missedAdjusted, ratio };
}

// CPU-bound work on sufficient statistics, not a wait: the bound of every seeded simulation.
const TIME_BOUND_MS = 60_000;

describe('simulations: the adjusted interval keeps its coverage (issue 29)', () => {
  it(
    'covariates that explain the quality: the adjusted 95 % interval misses the true difference in at most alpha + 1 pp (upper Clopper-Pearson) of 6,000 experiments, and is much narrower',
    () => {
      const runs = 6000;
      const started = performance.now();
      const { missedRaw, missedAdjusted, ratio } = simulate(29_001, runs, true);
      console.log(
        `explained: adjusted interval missed ${missedAdjusted} of ${runs} (upper CP ${(clopperPearsonUpper(missedAdjusted, runs) * 100).toFixed(2)} %), raw ${missedRaw}; mean se adjusted / raw ${ratio.toFixed(3)}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      expect(clopperPearsonUpper(missedAdjusted, runs)).toBeLessThanOrEqual(ALPHA + 0.01);
      expect(clopperPearsonUpper(missedRaw, runs)).toBeLessThanOrEqual(ALPHA + 0.01);
      expect(ratio).toBeLessThan(0.8);
    },
    TIME_BOUND_MS,
  );

  it(
    'covariates that explain nothing: the adjusted interval still covers (upper Clopper-Pearson within alpha + 1 pp of 6,000) and is hardly wider',
    () => {
      const runs = 6000;
      const { missedAdjusted, ratio } = simulate(29_002, runs, false);
      console.log(
        `unexplained: adjusted interval missed ${missedAdjusted} of ${runs} (upper CP ${(clopperPearsonUpper(missedAdjusted, runs) * 100).toFixed(2)} %); mean se adjusted / raw ${ratio.toFixed(3)}`,
      );
      expect(clopperPearsonUpper(missedAdjusted, runs)).toBeLessThanOrEqual(ALPHA + 0.01);
      expect(ratio).toBeLessThan(1.03);
    },
    TIME_BOUND_MS,
  );
});
