import { dataFromEvents, EventAccumulator, type ExperimentSource } from '../experiment/index.js';
import { type CovariateGroup, METRIC_TABLE } from '../metrics/index.js';
import { METRIC_VALUES } from './event-rows.js';
import { type EventWindow, windowParameters } from './event-window.js';
import { StorePool } from './store-pool.js';
import { parsePostgresUrl } from './store-url.js';

const METRIC_COUNT = METRIC_TABLE.length;
const range = (from: number) => Array.from({ length: METRIC_COUNT }, (_, index) => from + index);

/**
 * Per unit and arm, the sufficient statistics of every metric, summed by PostgreSQL
 * (`GROUP BY unit, cohort`): the count of values, their sum and their centred sum of squares
 * (`var_pop` times the count: PostgreSQL's own accumulation, free of cancellation); outcomes
 * without a unit form one group per arm. The metric values are the table's (`metricValue`) in
 * SQL, so the groups are what the event accumulator would sum from the same events.
 */
const GROUPS = `
  SELECT unit, cohort, count(*)::float8 AS events,
         (extract(epoch FROM min(occurred_at)) * 1000)::float8 AS first,
         (extract(epoch FROM max(occurred_at)) * 1000)::float8 AS last,
         ${range(0)
           .map(
             (index) =>
               `count(v${index})::float8 AS n${index}, coalesce(sum(v${index}), 0) AS s${index}, coalesce(var_pop(v${index}) * count(v${index}), 0) AS c${index}`,
           )
           .join(',\n         ')}
  FROM (SELECT unit, cohort, occurred_at,
               ${METRIC_VALUES}
        FROM flagroute.outcome_events
        WHERE environment = $1 AND cohort IN ('lightrag', 'perplexity')
          AND ($2::timestamptz IS NULL OR occurred_at >= $2)) AS values_of_events
  GROUP BY unit, cohort`;

const OUTSIDE = `
  SELECT count(*)::float8 AS outside FROM flagroute.outcome_events
  WHERE environment = $1 AND cohort = 'control' AND ($2::timestamptz IS NULL OR occurred_at >= $2)`;

/** Exposed units per arm: each (unit, arm) once, whatever the periods and instances. */
const EXPOSURES = `
  SELECT unit, cohort FROM flagroute.exposure_events
  WHERE environment = $1 AND ($2::timestamptz IS NULL OR exposed_at >= $2)
  GROUP BY unit, cohort`;

/**
 * Each unit's covariates, summed by PostgreSQL per unit and combination of levels (query type,
 * region): the query count and the sums of the length buckets and complexities, what each unit's
 * covariate column sums are made of. Rows without any covariate (written before them) are left
 * out, as event lines without them are.
 */
const COVARIATES = `
  SELECT unit, query_type, region, count(*)::float8 AS queries,
         coalesce(sum(length_bucket), 0)::float8 AS length_bucket,
         coalesce(sum(complexity), 0)::float8 AS complexity
  FROM flagroute.outcome_events
  WHERE environment = $1 AND cohort IN ('lightrag', 'perplexity') AND unit IS NOT NULL
    AND ($2::timestamptz IS NULL OR occurred_at >= $2)
    AND num_nonnulls(query_type, length_bucket, complexity, region) > 0
  GROUP BY unit, query_type, region`;

/** A row of per-unit covariate sums (unit, query_type, region, queries, length_bucket, complexity) as a group of a unit's queries. */
export function covariateGroupOf(row: Record<string, unknown>): CovariateGroup {
  const levels: CovariateGroup['levels'] = {};
  if (row.query_type !== null) levels.queryType = String(row.query_type);
  if (row.region !== null) levels.region = String(row.region);
  return {
    queries: Number(row.queries),
    levels,
    sums: { lengthBucket: Number(row.length_bucket), complexity: Number(row.complexity) },
  };
}

/**
 * The experiment's events in the store, folded as the event log's reader folds its files:
 * PostgreSQL sums each unit's outcomes (the only rows that leave the database are one per
 * unit and arm, and one per unit and combination of covariate levels), then the same accumulator, the same per-user moments and the same statistics
 * as the event log's report.
 */
export async function readStoreEvents(
  pool: StorePool,
  window: EventWindow,
): Promise<EventAccumulator> {
  const parameters = windowParameters(window);
  const [groups, outside, exposures, covariates] = await Promise.all([
    pool.query(GROUPS, parameters),
    pool.query(OUTSIDE, parameters),
    pool.query(EXPOSURES, parameters),
    pool.query(COVARIATES, parameters),
  ]);
  const accumulator = new EventAccumulator();
  for (const row of groups) {
    const column = (prefix: string) =>
      Float64Array.from(range(0), (index) => Number(row[`${prefix}${index}`]));
    accumulator.addGroup({
      unit: row.unit === null ? null : String(row.unit),
      arm: row.cohort === 'lightrag' ? 'lightrag' : 'perplexity',
      events: Number(row.events),
      counts: column('n'),
      sums: column('s'),
      centred: column('c'),
      first: Number(row.first),
      last: Number(row.last),
    });
  }
  for (const row of covariates)
    accumulator.covariates.addGroup(String(row.unit), covariateGroupOf(row));
  accumulator.addOutsideExperiment(Number(outside[0]?.outside ?? 0));
  for (const row of exposures) {
    accumulator.addExposure({
      unit: String(row.unit),
      cohort: row.cohort === 'lightrag' ? 'lightrag' : 'perplexity',
    });
  }
  return accumulator;
}

/**
 * The store's events as an experiment source (`experiment report --store URL --env NAME`):
 * per user by default, as the event log's files are. Each read connects, sums and disconnects.
 */
export function storeEventsSource(
  url: string,
  window: EventWindow,
  source = '--store',
): ExperimentSource {
  const target = parsePostgresUrl(url, source);
  return {
    kind: 'events',
    units: ['user', 'request'],
    async read(unit) {
      const pool = await StorePool.open(target, { applicationName: 'flagroute report' });
      try {
        // Events, but the store's: the report's header says where they were read.
        const data = {
          ...dataFromEvents(await readStoreEvents(pool, window), unit),
          source: 'store' as const,
        };
        data.notes.unshift(
          `the events of ${window.environment} in the store's tables, summed per unit by PostgreSQL`,
        );
        return data;
      } finally {
        await pool.end();
      }
    },
  };
}
