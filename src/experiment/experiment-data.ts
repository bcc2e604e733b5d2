import type { ValidateFunction } from 'ajv';
import { validators } from '../config/schemas.js';
import type { OutcomeMetric } from '../metrics/index.js';
import { lineProblem } from '../outcomes/index.js';
import type { Result } from '../result.js';
import type { ArmMoments } from './arm-moments.js';

/** The two arms of the experiment: treatment first. */
export const ARMS = ['lightrag', 'perplexity'] as const;
/** An arm: `lightrag` is the treatment, `perplexity` the baseline. */
export type Arm = (typeof ARMS)[number];

/** The unit of analysis. */
export type AnalysisUnit = 'request' | 'user';

/**
 * Per-arm sufficient statistics of every metric (schemas/experiment-stats.schema.json): what
 * `analyzeExperiment` reads, whether it came from events, Prometheus or a warehouse.
 */
export interface ExperimentStats {
  unit: AnalysisUnit;
  /** Distinct units per arm for the sample-ratio test; absent: events are counted instead. */
  units?: Record<Arm, number>;
  arms: Record<Arm, Partial<Record<OutcomeMetric, ArmMoments>>>;
  /**
   * Units with an exposure record per arm (from the event log): the sample-ratio test counts
   * these when present. `returned` counts those of them with an outcome in their arm.
   */
  exposures?: Record<Arm, number> & { returned: Record<Arm, number>; in_both_arms: number };
}

/**
 * A parsed JSON value as experiment statistics, or what is wrong with it (in the terse words of
 * a data file, as the event reader says them). The validator is generated at build time.
 */
export function checkStats(
  value: unknown,
): Result<{ stats: ExperimentStats }, { problem: string }> {
  const validate = validators.experimentStats as ValidateFunction<ExperimentStats>;
  if (validate(value)) {
    const values = checkStatsValues(value);
    return values.ok ? { ok: true, stats: value } : values;
  }
  const error = validate.errors?.[0];
  const found = error && valueAt(value, error.instancePath);
  if (typeof found === 'number' && !Number.isFinite(found)) {
    const field = error!.instancePath.slice(1).replaceAll('/', '.');
    return { ok: false, problem: `${field} must be a finite number, got ${found}` };
  }
  return { ok: false, problem: lineProblem(error, 'the statistics').text };
}

/** The value at a JSON pointer of Ajv's (`/arms/lightrag/quality_score/sum`). */
function valueAt(value: unknown, pointer: string): unknown {
  let here = value;
  for (const key of pointer.split('/').slice(1)) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key)) return undefined;
    here = (here as Record<string, unknown>)[key];
  }
  return here;
}

const RATIO_FIELDS = ['denominator_sum', 'denominator_sum_of_squares', 'cross_sum'] as const;
/** Room for the rounding of sums a warehouse added in another order. */
const SLACK = 1e-9;

/** What is impossible about one metric's moments (a field and why), or null. */
function momentsProblem(moments: ArmMoments, unit: AnalysisUnit): [string, string] | null {
  for (const [field, value] of Object.entries(moments)) {
    if (typeof value === 'number' && !Number.isFinite(value))
      return [field, `must be a finite number, got ${value}`];
  }
  const { n, sum, sum_of_squares: squares } = moments;
  if (!Number.isInteger(n) || n < 0) return ['n', `must be a count (a whole number), got ${n}`];
  if (squares < 0) return ['sum_of_squares', `cannot be negative, got ${squares}`];
  if (sum * sum > n * squares * (1 + SLACK) + Number.MIN_VALUE) {
    return [
      'sum_of_squares',
      `is too small for the sum: sum^2 (${sum * sum}) cannot exceed n * sum_of_squares (${n * squares})`,
    ];
  }
  const given = RATIO_FIELDS.filter((field) => moments[field] !== undefined);
  if (unit === 'request' && given.length > 0)
    return [given[0]!, 'belongs to the user unit; the statistics say unit "request"'];
  if (unit === 'user' && given.length !== RATIO_FIELDS.length) {
    const missing = RATIO_FIELDS.find((field) => moments[field] === undefined)!;
    return [missing, 'is required at the user unit (with denominator_sum and cross_sum)'];
  }
  if (unit === 'request') return null;
  const d = moments.denominator_sum!;
  const dSquares = moments.denominator_sum_of_squares!;
  const cross = moments.cross_sum!;
  if (d < n)
    return ['denominator_sum', `counts values, at least one per user: at least n (${n}), got ${d}`];
  if (dSquares < d * (1 - SLACK) || d * d > n * dSquares * (1 + SLACK) + Number.MIN_VALUE)
    return [
      'denominator_sum_of_squares',
      `is impossible for n ${n} and denominator_sum ${d}, got ${dSquares}`,
    ];
  if (cross * cross > squares * dSquares * (1 + SLACK) + Number.MIN_VALUE)
    return [
      'cross_sum',
      `cannot exceed sqrt(sum_of_squares * denominator_sum_of_squares) in size, got ${cross}`,
    ];
  return null;
}

/**
 * Refuses statistics no data could give (`INVALID_DATA` naming the field): a count that is not
 * whole, a sum of squares smaller than the sum allows, user-unit fields missing or at the request
 * unit, fewer units than a metric's users. The schema checks the shape; this checks the numbers.
 */
export function checkStatsValues(stats: ExperimentStats): Result<object, { problem: string }> {
  for (const arm of ARMS) {
    for (const [metric, moments] of Object.entries(stats.arms[arm])) {
      if (!moments) continue;
      const problem = momentsProblem(moments, stats.unit);
      if (problem)
        return { ok: false, problem: `arms.${arm}.${metric}.${problem[0]} ${problem[1]}` };
      const units = stats.units?.[arm];
      if (stats.unit === 'user' && units !== undefined && moments.n > units) {
        return {
          ok: false,
          problem: `units.${arm} (${units}) is below the users of ${metric} (${moments.n})`,
        };
      }
    }
  }
  return { ok: true };
}

/**
 * The sums of a group of outcomes of one unit (or of every outcome without a unit) in one arm,
 * as a database computes them with `GROUP BY unit, cohort`: per metric in table order, the count
 * of values, their sum and their centred sum of squares (sum((x - mean)^2), as a database's
 * `var_pop(x) * count(x)` gives it, free of the cancellation of raw power sums).
 */
export interface OutcomeGroup {
  unit: string | null;
  arm: Arm;
  /** Outcomes in the group. */
  events: number;
  counts: Float64Array;
  sums: Float64Array;
  centred: Float64Array;
  /** Earliest and latest outcome (ms since the epoch). */
  first: number;
  last: number;
}
