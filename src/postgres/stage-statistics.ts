import {
  armMomentsOfRow,
  byMetric,
  type CovariateData,
  emptyArmMoments,
  UnitCovariates,
  UnitMomentsFold,
  unitMomentSql,
} from '../experiment/index.js';
import { METRIC_TABLE } from '../metrics/index.js';
import { allocationPeriod } from '../outcomes/index.js';
import type { StageData } from '../rollout-plan/index.js';
import { METRIC_VALUES } from './event-rows.js';
import type { StorePool } from './store-pool.js';
import { covariateGroupOf } from './store-statistics.js';

/** The stage a controller judges: its environment, since when, and its allocation period. */
export interface StageQuery {
  environment: string;
  /** When the stage started (ms since the epoch): its outcomes are those since. */
  since: number;
  /**
   * The stage's rollout percentage: exposures of period `p<percentage>` fix a unit's arm
   * (null: the first exposure of any period).
   */
  percentage: number | null;
  /**
   * Also read each unit's covariates (for guardrails on adjusted estimates): one row per unit
   * and per unit and combination of levels then leaves the database, not two in all.
   */
  covariates?: boolean;
}

/**
 * The stage's user-level moments per arm (with the ratio sums), its counts (`overLimit` always
 * 0: the database holds every unit) and LightRAG's p95: a stage's data as every per-unit source
 * gives it ({@link StageData}).
 */
export interface StageReading extends StageData {
  /** LightRAG's 95th percentile response time in the stage, seconds (successful outcomes). */
  p95Seconds: number | null;
}

const METRICS = METRIC_TABLE.map((_, index) => index);

/**
 * The stage's outcomes of each unit in the arm of its first exposure of the stage's period
 * (else of its first outcome in the stage), summed per unit (`m`, `d` per metric) and then per
 * arm (`n`, sum m, sum m^2, sum d, sum d^2, sum m d): two rows leave the database, whatever the
 * number of users. Outcomes in the other arm are left out (counted below).
 */
/**
 * The stage's outcomes of either arm and each unit's arm: that of its first exposure of the
 * stage's period, else of its first outcome in the stage (the tally's and the event log's rule).
 */
const STAGE_ARMS = (columns: string) => `
  WITH outcomes AS (
    SELECT unit, cohort, occurred_at, ${columns}
    FROM flagroute.outcome_events
    WHERE environment = $1 AND occurred_at >= $2 AND cohort IN ('lightrag', 'perplexity')),
  exposed AS (
    SELECT DISTINCT ON (unit) unit, cohort AS arm FROM flagroute.exposure_events
    WHERE environment = $1 AND ($3::text IS NULL OR period = $3) ORDER BY unit, exposed_at, cohort),
  first_served AS (
    SELECT DISTINCT ON (unit) unit, cohort AS arm FROM outcomes
    WHERE unit IS NOT NULL ORDER BY unit, occurred_at, cohort),
  arms AS (
    SELECT coalesce(e.unit, f.unit) AS unit, coalesce(e.arm, f.arm) AS arm
    FROM exposed AS e FULL OUTER JOIN first_served AS f ON f.unit = e.unit)`;

/**
 * The stage's outcomes of each unit in its arm summed per unit (`m`, `d` per metric) and then
 * per arm with the fold's fields ({@link unitMomentSql}): two rows leave the database, whatever
 * the number of users. Outcomes in the other arm are left out (counted below).
 */
const STAGE_SUMS = `${STAGE_ARMS(METRIC_VALUES)},
  per_unit AS (
    SELECT a.arm, o.unit,
           ${METRICS.map((index) => `coalesce(sum(v${index}), 0) AS m${index}, count(v${index})::float8 AS d${index}`).join(',\n           ')}
    FROM outcomes AS o JOIN arms AS a ON a.unit = o.unit AND a.arm = o.cohort
    GROUP BY a.arm, o.unit)
  SELECT arm, count(*)::float8 AS units,
         ${METRICS.map(unitMomentSql).join(',\n         ')}
  FROM per_unit GROUP BY arm`;

/** Each unit of the stage in its arm with its sums per metric (`m`, `d`): the fold's input. */
const STAGE_UNITS = `${STAGE_ARMS(METRIC_VALUES)}
  SELECT a.arm, o.unit,
         ${METRICS.map((index) => `coalesce(sum(v${index}), 0) AS m${index}, count(v${index})::float8 AS d${index}`).join(',\n         ')}
  FROM outcomes AS o JOIN arms AS a ON a.unit = o.unit AND a.arm = o.cohort
  GROUP BY a.arm, o.unit`;

/**
 * Each unit's covariates over its outcomes of the stage in its arm, per combination of levels:
 * the query count and the sums of the length buckets and complexities (see the store report's).
 */
const STAGE_COVARIATES = `${STAGE_ARMS('query_type, length_bucket, complexity, region')}
  SELECT o.unit, o.query_type, o.region, count(*)::float8 AS queries,
         coalesce(sum(o.length_bucket), 0)::float8 AS length_bucket,
         coalesce(sum(o.complexity), 0)::float8 AS complexity
  FROM outcomes AS o JOIN arms AS a ON a.unit = o.unit AND a.arm = o.cohort
  WHERE num_nonnulls(o.query_type, o.length_bucket, o.complexity, o.region) > 0
  GROUP BY o.unit, o.query_type, o.region`;

/** What the stage's data leaves out and why, and LightRAG's p95, in one pass. */
const STAGE_COUNTS = `${STAGE_ARMS('success, latency_ms')},
  touched AS (
    SELECT unit, cohort AS arm FROM flagroute.exposure_events WHERE environment = $1 AND ($3::text IS NULL OR period = $3)
    UNION SELECT unit, cohort FROM outcomes WHERE unit IS NOT NULL)
  SELECT
    (SELECT count(*) FROM outcomes WHERE unit IS NULL)::float8 AS without_unit,
    (SELECT count(*) FROM outcomes AS o JOIN arms AS a ON a.unit = o.unit AND a.arm <> o.cohort)::float8 AS other_arm,
    (SELECT count(*) FROM (SELECT unit FROM touched GROUP BY unit HAVING count(*) > 1) AS both_arms)::float8 AS multiple,
    (SELECT count(*) FROM arms)::float8 AS seen,
    (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms / 1000.0)
       FROM outcomes WHERE cohort = 'lightrag' AND success AND latency_ms IS NOT NULL) AS p95`;

/**
 * The stage's user-level data from the store (the controller's `postgres` metrics source):
 * per unit in SQL, per arm in SQL, in the shape the in-process and event-log sources give.
 */
export async function readStage(pool: StorePool, stage: StageQuery): Promise<StageReading> {
  const parameters = [
    stage.environment,
    new Date(stage.since).toISOString(),
    // No stage (a command before the plan starts): the first exposure of any period.
    stage.percentage === null ? null : allocationPeriod(stage.percentage),
  ];
  const [sums, counted] = await Promise.all([
    pool.query(STAGE_SUMS, parameters),
    pool.query(STAGE_COUNTS, parameters),
  ]);
  const arms = { treatment: byMetric(emptyArmMoments()), baseline: byMetric(emptyArmMoments()) };
  const units = { treatment: 0, baseline: 0 };
  for (const row of sums) {
    const side = row.arm === 'lightrag' ? 'treatment' : 'baseline';
    units[side] = Number(row.units);
    arms[side] = byMetric(METRICS.map((index) => armMomentsOfRow(row, index)));
  }
  const counts = counted[0] ?? {};
  const covariates = stage.covariates ? await readStageCovariates(pool, parameters) : null;
  return {
    ...(covariates ? { covariates } : {}),
    arms,
    counts: {
      units,
      multipleExposures: Number(counts.multiple ?? 0),
      seen: Number(counts.seen ?? 0),
      otherArmOutcomes: Number(counts.other_arm ?? 0),
      withoutUnit: Number(counts.without_unit ?? 0),
      overLimit: 0,
    },
    p95Seconds: counts.p95 === null || counts.p95 === undefined ? null : Number(counts.p95),
  };
}

/**
 * The stage's per-unit covariate cross-products: each unit's sums and covariate column sums
 * folded by the one fold, as the in-process tally folds them; null when no outcome of the stage
 * carried covariates.
 */
async function readStageCovariates(
  pool: StorePool,
  parameters: unknown[],
): Promise<CovariateData | null> {
  const groups = await pool.query(STAGE_COVARIATES, parameters);
  if (groups.length === 0) return null;
  const covariates = new UnitCovariates();
  for (const row of groups) covariates.addGroup(String(row.unit), covariateGroupOf(row));
  const units = await pool.query(STAGE_UNITS, parameters);
  const width = covariates.design.names.length;
  const fold = new UnitMomentsFold(undefined, width);
  const sums = new Float64Array(METRICS.length * 2);
  for (const row of units) {
    for (const index of METRICS) {
      sums[index * 2] = Number(row[`m${index}`]);
      sums[index * 2 + 1] = Number(row[`d${index}`]);
    }
    fold.add(row.arm === 'lightrag' ? 0 : 1, sums, covariates.of(String(row.unit)));
  }
  const zeros = () => METRICS.map(() => 0);
  return {
    unit: 'user',
    columns: [...covariates.design.names],
    dropped_levels: covariates.design.droppedLevels,
    shifts: [zeros(), zeros()],
    arms: fold.covariates,
  };
}
