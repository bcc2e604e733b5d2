import { METRIC_TABLE } from '../metrics/index.js';
import {
  PAIRED_METRICS,
  type PairedMetric,
  PairedTally,
  type PreferenceCounts,
  type UnitPairs,
} from '../shadow/index.js';
import { metricExpression, type RowValues } from './event-rows.js';
import { type EventWindow, windowParameters } from './event-window.js';
import { StorePool } from './store-pool.js';
import { parsePostgresUrl } from './store-url.js';

const PAIRED_ROWS = METRIC_TABLE.filter((row) =>
  (PAIRED_METRICS as readonly string[]).includes(row.name),
);

/** The shadow call's values: the fields of the row's `shadow_result` JSON, typed. */
const SHADOW: RowValues = {
  field: (spec) =>
    spec.range === null
      ? `(shadow_result->>'${spec.field}')::boolean`
      : `(shadow_result->>'${spec.field}')::float8`,
  success: "(shadow_result->>'success')::boolean",
};

const PAIR_VALUES = PAIRED_ROWS.map(
  (spec, index) =>
    `${metricExpression(spec)} AS p${index}, ${metricExpression(spec, SHADOW)} AS l${index}`,
).join(',\n               ');

const WHERE = `environment = $1 AND shadow AND cohort IS NOT NULL
          AND ($2::timestamptz IS NULL OR occurred_at >= $2)`;

/** Per unit, per paired metric: the pairs with both values, and the sums of each side. */
const UNIT_SUMS = `
  SELECT unit,
         ${PAIRED_ROWS.map(
           (_, index) =>
             `count(*) FILTER (WHERE p${index} IS NOT NULL AND l${index} IS NOT NULL)::float8 AS n${index},
         coalesce(sum(l${index}) FILTER (WHERE p${index} IS NOT NULL), 0) AS sl${index},
         coalesce(sum(p${index}) FILTER (WHERE l${index} IS NOT NULL), 0) AS sp${index}`,
         ).join(',\n         ')}
  FROM (SELECT unit, ${PAIR_VALUES}
        FROM flagroute.outcome_events WHERE ${WHERE} AND unit IS NOT NULL) AS pairs
  GROUP BY unit`;

/** Per unit and judge: the verdicts. */
const JUDGED = `
  SELECT unit, shadow_preference->>'judge' AS judge,
         count(*) FILTER (WHERE shadow_preference->>'winner' = 'lightrag')::float8 AS lightrag,
         count(*) FILTER (WHERE shadow_preference->>'winner' = 'perplexity')::float8 AS perplexity,
         count(*) FILTER (WHERE shadow_preference->>'winner' = 'tie')::float8 AS tie
  FROM flagroute.outcome_events
  WHERE ${WHERE} AND unit IS NOT NULL AND shadow_preference IS NOT NULL
  GROUP BY unit, shadow_preference->>'judge'`;

/** The totals of every pair, with or without a unit. */
const TOTALS = `
  SELECT count(*)::float8 AS pairs,
         count(*) FILTER (WHERE unit IS NULL)::float8 AS without_unit,
         count(*) FILTER (WHERE (shadow_result->>'success')::boolean)::float8 AS shadow_successes,
         coalesce(sum(cost_usd), 0) AS served_cost, count(cost_usd)::float8 AS served_reports,
         coalesce(sum((shadow_result->>'costUsd')::float8), 0) AS shadow_cost,
         count(shadow_result->>'costUsd')::float8 AS shadow_reports
  FROM flagroute.outcome_events WHERE ${WHERE}`;

/**
 * The store's pairs, summed per unit by PostgreSQL (one row per unit, and per unit and judge,
 * leave the database), folded into the same tally the event log's reader fills.
 */
export async function readStorePairs(pool: StorePool, window: EventWindow): Promise<PairedTally> {
  const parameters = windowParameters(window);
  const [units, judged, totals] = await Promise.all([
    pool.query(UNIT_SUMS, parameters),
    pool.query(JUDGED, parameters),
    pool.query(TOTALS, parameters),
  ]);
  const tally = new PairedTally();
  for (const row of units) {
    const pairs: UnitPairs = { metrics: {}, judges: new Map() };
    for (const [index, spec] of PAIRED_ROWS.entries()) {
      const count = Number(row[`n${index}`]);
      if (count === 0) continue;
      pairs.metrics[spec.name as PairedMetric] = {
        pairs: count,
        lightrag: Number(row[`sl${index}`]),
        perplexity: Number(row[`sp${index}`]),
      };
    }
    tally.addUnit(String(row.unit), pairs);
  }
  for (const row of judged) {
    const counts: PreferenceCounts = {
      lightrag: Number(row.lightrag),
      perplexity: Number(row.perplexity),
      tie: Number(row.tie),
    };
    tally.addUnit(String(row.unit), {
      metrics: {},
      judges: new Map([[String(row.judge), counts]]),
    });
  }
  const total = totals[0];
  if (total) {
    tally.addTotals({
      pairs: Number(total.pairs),
      withoutUnit: Number(total.without_unit),
      shadowSuccesses: Number(total.shadow_successes),
      servedCostUsd: Number(total.served_cost),
      servedCostReports: Number(total.served_reports),
      shadowCostUsd: Number(total.shadow_cost),
      shadowCostReports: Number(total.shadow_reports),
    });
  }
  return tally;
}

/** Reads the store's pairs of an environment once: connects, sums, disconnects. */
export async function storePairs(url: string, window: EventWindow, source = '--store') {
  const pool = await StorePool.open(parsePostgresUrl(url, source), {
    applicationName: 'flagroute report',
  });
  try {
    return await readStorePairs(pool, window);
  } finally {
    await pool.end();
  }
}
