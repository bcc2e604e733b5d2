import type {
  PlanGuardrails,
  RollbackTriggerSettings,
  RolloutStage,
} from '../../src/config/types.js';
import type { ArmMoments, CovariateData } from '../../src/experiment/index.js';
import { METRIC_TABLE, type Moments } from '../../src/metrics/index.js';
import {
  type ArmSnapshot,
  type PlanMetrics,
  type PlanState,
  type PlanView,
  pendingState,
  step,
} from '../../src/rollout-plan/index.js';
import type { CovariateMoments } from '../../src/statistics/index.js';
import { SeededRandom } from './seeded-random.js';

/**
 * Seeded simulations of whole rollout plans on sufficient statistics (issue 25): the real
 * `step` judges every look, on the per-user sums (or, for contrast, the request sums) that
 * users with 1..50 requests each and a per-user effect would give. Each look brings a new batch
 * of users with all their requests; each stage draws its users afresh. With `covariates`, each
 * user also has a typical query complexity that their queries' complexities scatter around and
 * that explains part of their quality (and none of their success), and a count of code queries
 * that explains nothing: the per-unit cross-products a covariate-adjusted guardrail reads.
 */

const MINUTE = 60_000;
const LOOK = 10 * MINUTE;

/** The production-like plan: five stages of an hour, judged every 10 minutes (6 looks each). */
export const FIVE_STAGES: RolloutStage[] = [5, 15, 30, 50, 100].map((percentage) => ({
  percentage,
  hold: '1h',
  min_units: 0,
  approval: false,
  shadow: false,
}));

/**
 * The rollback triggers the simulated plans run with (the guide's thresholds; 50 users before a
 * rate fires); tests of single readings spread them with their own `enabled` and `min_samples`.
 */
export const PLAN_TRIGGERS: RollbackTriggerSettings = {
  enabled: true,
  error_rate: 0.05,
  min_quality: 0.6,
  on_circuit_breaker_open: true,
  response_time_seconds: 10,
  min_samples: 50,
  window_size: 100,
  persist: true,
};

/** The plan's guardrails as the schema's defaults give them (two metrics, alpha 0.05). */
export const DEFAULT_GUARDRAILS: PlanGuardrails = {
  metrics: ['success_rate', 'quality_score'],
  tolerance: 0,
  alpha: 0.05,
  sequential_tuning: 5000,
  request_level: false,
  adjustment: 'none',
  max_multiple_exposures: 0.01,
  actions: {
    error_rate: { action: 'roll_back', for: 1 },
    min_quality: { action: 'roll_back', for: 1 },
    p95_response_time: { action: 'roll_back', for: 1 },
    circuit_breaker: { action: 'roll_back', for: 1 },
    multiple_exposures: { action: 'pause', for: 1 },
    regression: { action: 'roll_back', for: 1 },
  },
};

/** Options of {@link simulatePlans}. */
export interface PlanSimulationOptions {
  plans: number;
  seed: number;
  /** Users per arm per look at 100 % (a stage at p % gets p % of them). */
  usersPerLook: number;
  /** A true regression of LightRAG: its quality lower by this share of the mean. */
  qualityDrop?: number;
  /** Judge on request sums with `request_level: true` (the old controller), for contrast. */
  requestLevel?: boolean;
  /** Draw covariates and give the guardrails their per-unit cross-products (see above). */
  covariates?: boolean;
  guardrails?: Partial<PlanGuardrails>;
}

/** What the plans did. */
export interface PlanSimulationResult {
  plans: number;
  /** Plans that stepped down or rolled back (in an A/A simulation: false alarms). */
  stoppedOrSteppedDown: number;
  completed: number;
  /** For each plan that stepped down or rolled back: users per arm seen until then. */
  unitsAtAction: number[];
  /** How many actions each guardrail caused. */
  causes: Record<string, number>;
}

const QUALITY = { mean: 0.8, sd: 0.15, icc: 0.2 };
const SUCCESS = { mean: 0.99, icc: 0.05 };
/**
 * The covariates: a user's typical complexity (standard normal) correlated `rho` with their
 * quality level, each query's complexity that level plus standard normal scatter; each query
 * user's count of code queries is uniform on 0..d, unrelated to anything.
 */
const COVARIATE = { rho: 0.8 };
/** The design's columns: the complexity, and the query type's one level that is drawn. */
const COVARIATE_COLUMNS = ['complexity', 'queryType=code'];
const VECTOR = 3 + COVARIATE_COLUMNS.length;
const INDEX = {
  quality_score: METRIC_TABLE.findIndex((spec) => spec.name === 'quality_score'),
  success_rate: METRIC_TABLE.findIndex((spec) => spec.name === 'success_rate'),
};

function zeroCovariates(): CovariateMoments[] {
  return METRIC_TABLE.map(() => ({
    n: 0,
    sums: new Array<number>(VECTOR).fill(0),
    products: new Array<number>(VECTOR * VECTOR).fill(0),
  }));
}

/** Adds one unit's vector (m, d, c, s...) to its cross-products. */
function addVector(into: CovariateMoments, vector: readonly number[]): void {
  into.n += 1;
  for (let row = 0; row < VECTOR; row += 1) {
    into.sums[row]! += vector[row]!;
    for (let column = 0; column < VECTOR; column += 1)
      into.products[row * VECTOR + column]! += vector[row]! * vector[column]!;
  }
}

/** One arm's running sums at both units. */
class ArmSums {
  readonly user: Record<'quality_score' | 'success_rate', Required<ArmMoments>> = {
    quality_score: zeroUser(),
    success_rate: zeroUser(),
  };
  readonly request: Record<'quality_score' | 'success_rate', Moments> = {
    quality_score: { n: 0, sum: 0, sum_of_squares: 0 },
    success_rate: { n: 0, sum: 0, sum_of_squares: 0 },
  };
  users = 0;
  /** Per metric in the table's order: the users' covariate cross-products (with `covariates`). */
  covariates = zeroCovariates();

  resetUsers(): void {
    this.user.quality_score = zeroUser();
    this.user.success_rate = zeroUser();
    this.covariates = zeroCovariates();
    this.users = 0;
  }

  /** One user with d requests: m the sum of values, squares the sum of their squares. */
  addUser(metric: 'quality_score' | 'success_rate', d: number, m: number, squares: number): void {
    const user = this.user[metric];
    user.n += 1;
    user.sum += m;
    user.sum_of_squares += m * m;
    user.denominator_sum += d;
    user.denominator_sum_of_squares += d * d;
    user.cross_sum += m * d;
    const request = this.request[metric];
    request.n += d;
    request.sum += m;
    request.sum_of_squares += squares;
  }
}

function zeroUser(): Required<ArmMoments> {
  return {
    n: 0,
    sum: 0,
    sum_of_squares: 0,
    shift: 0,
    denominator_sum: 0,
    denominator_sum_of_squares: 0,
    cross_sum: 0,
  };
}

/** Draws one user's requests into an arm. */
function drawUser(
  random: SeededRandom,
  arm: ArmSums,
  qualityMean: number,
  requestLevel: boolean,
  covariates: boolean,
): void {
  const d = random.integer(1, 50);
  // Quality: a per-user level (ICC 0.2) plus per-request noise; the request sums of squares
  // from the mean of the noise and its independent sum of squared deviations. With covariates,
  // part of the level is the user's typical complexity (the same total variance).
  let typical = 0;
  let own = random.normal();
  if (covariates) {
    typical = own;
    own = COVARIATE.rho * typical + Math.sqrt(1 - COVARIATE.rho ** 2) * random.normal();
  }
  const level = qualityMean + Math.sqrt(QUALITY.icc) * QUALITY.sd * own;
  const noiseSd = Math.sqrt(1 - QUALITY.icc) * QUALITY.sd;
  const noiseSum = Math.sqrt(d) * noiseSd * random.normal();
  const m = d * level + noiseSum;
  // The request-level sum of squares is only drawn when it is judged (a chi-square per user).
  const squares = requestLevel
    ? d * level * level +
      2 * level * noiseSum +
      (noiseSum * noiseSum) / d +
      noiseSd * noiseSd * random.chiSquare(d - 1)
    : 0;
  arm.addUser('quality_score', d, m, squares);
  // Success: a per-user rate from a beta (ICC 0.05), failures binomial by inversion.
  const a = (SUCCESS.mean * (1 - SUCCESS.icc)) / SUCCESS.icc;
  const b = ((1 - SUCCESS.mean) * (1 - SUCCESS.icc)) / SUCCESS.icc;
  const ga = random.gamma(a);
  const q = 1 - ga / (ga + random.gamma(b));
  let failures = 0;
  let probability = (1 - q) ** d;
  let cumulative = probability;
  const u = random.uniform();
  while (u > cumulative && failures < d) {
    probability *= ((d - failures) / (failures + 1)) * (q / (1 - q));
    failures += 1;
    cumulative += probability;
  }
  const successes = d - failures;
  arm.addUser('success_rate', d, successes, successes);
  if (!covariates) return;
  const complexity = d * typical + Math.sqrt(d) * random.normal();
  // Unrelated to anything: how many of the user's queries were code queries.
  const code = random.integer(0, d);
  addVector(arm.covariates[INDEX.quality_score]!, [m, d, d, complexity, code]);
  addVector(arm.covariates[INDEX.success_rate]!, [successes, d, d, complexity, code]);
}

/** Both arms' covariate cross-products as a per-unit source gives them. */
function covariateData(arms: [ArmSums, ArmSums]): CovariateData {
  const copy = (list: CovariateMoments[]) =>
    list.map((each) => ({ n: each.n, sums: [...each.sums], products: [...each.products] }));
  const zeros = () => METRIC_TABLE.map(() => 0);
  return {
    unit: 'user',
    columns: [...COVARIATE_COLUMNS],
    dropped_levels: 0,
    shifts: [zeros(), zeros()],
    arms: [copy(arms[0].covariates), copy(arms[1].covariates)],
  };
}

function snapshot(arms: [ArmSums, ArmSums], requestLevel: boolean): ArmSnapshot {
  // Copies: the state keeps a stage's starting sums while the arms go on adding.
  const of = (arm: ArmSums) => {
    const sums = requestLevel ? arm.request : arm.user;
    return { quality_score: { ...sums.quality_score }, success_rate: { ...sums.success_rate } };
  };
  return { treatment: of(arms[0]), baseline: of(arms[1]) };
}

/** Runs `plans` five-stage plans through the real step and counts what they did. */
export function simulatePlans(options: PlanSimulationOptions): PlanSimulationResult {
  const random = new SeededRandom(options.seed);
  const requestLevel = options.requestLevel ?? false;
  const covariates = options.covariates ?? false;
  const guardrails: PlanGuardrails = {
    ...DEFAULT_GUARDRAILS,
    request_level: requestLevel,
    ...options.guardrails,
  };
  const view = (served: number): PlanView => ({
    stages: FIVE_STAGES,
    maxHoldFactor: 3,
    served,
    shadow: 0,
    killSwitch: null,
    triggers: PLAN_TRIGGERS,
    guardrails,
  });
  const result: PlanSimulationResult = {
    plans: options.plans,
    stoppedOrSteppedDown: 0,
    completed: 0,
    unitsAtAction: [],
    causes: {},
  };
  const treatmentQuality = QUALITY.mean * (1 - (options.qualityDrop ?? 0));
  for (let plan = 0; plan < options.plans; plan += 1) {
    let at = 0;
    const arms: [ArmSums, ArmSums] = [new ArmSums(), new ArmSums()];
    const started = step(pendingState('sim'), {
      kind: 'command',
      command: { action: 'start', reason: 'simulation' },
      at,
      plan: view(FIVE_STAGES[0]!.percentage),
      baseline: snapshot(arms, requestLevel),
    });
    if (!started.ok) throw new Error(started.message);
    let state: PlanState = started.state;
    let seen = 0;
    for (;;) {
      at += LOOK;
      const percentage = FIVE_STAGES[state.stage]!.percentage;
      const batch = Math.max(1, Math.round((options.usersPerLook * percentage) / 100));
      for (let user = 0; user < batch; user += 1) {
        drawUser(random, arms[0], treatmentQuality, requestLevel, covariates);
        drawUser(random, arms[1], QUALITY.mean, requestLevel, covariates);
      }
      arms[0].users += batch;
      arms[1].users += batch;
      seen += batch;
      const metrics: PlanMetrics = {
        unit: requestLevel ? 'request' : 'user',
        arms: snapshot(arms, requestLevel),
        ...(covariates && !requestLevel ? { covariates: covariateData(arms) } : {}),
        breakerOpen: false,
        p95Seconds: null,
        rollback: null,
      };
      const stepped = step(state, { kind: 'look', at, plan: view(percentage), metrics });
      if (!stepped.ok) throw new Error(stepped.message);
      const events = stepped.effects.flatMap((effect) =>
        effect.kind === 'notify' ? [effect.transition.event] : [],
      );
      state = stepped.state;
      if (events.includes('rollback') || events.includes('step_down')) {
        result.stoppedOrSteppedDown += 1;
        result.unitsAtAction.push(seen);
        const cause = /guardrail (\S+) failed/.exec(state.reason)?.[1] ?? state.reason;
        result.causes[cause] = (result.causes[cause] ?? 0) + 1;
        break;
      }
      if (state.phase === 'completed') {
        result.completed += 1;
        break;
      }
      if (state.phase !== 'running' && state.phase !== 'holding')
        throw new Error(`unexpected phase ${state.phase}: ${state.reason}`);
      // A new stage draws its users afresh (per-user sums are the stage's own).
      if (events.includes('advance')) {
        arms[0].resetUsers();
        arms[1].resetUsers();
      }
    }
  }
  return result;
}
