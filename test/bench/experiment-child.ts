/**
 * One side of the experiment-report benchmark, in a process of its own so that its time and
 * peak memory are its own: `node experiment-child.js flagroute|duckdb FILE` prints
 * `{ms, cpuMs, maxRssMb}`. flagroute reads, validates and folds every event at both units (the
 * full `experiment report` path); DuckDB computes the same sums at both units (per user and arm,
 * then per arm) and the repeated decision ids with read_json and GROUP BY.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { readEventFiles, reportFromEvents } from 'flagroute';

const [mode, file = ''] = process.argv.slice(2);
const started = performance.now();
const cpuBefore = process.cpuUsage();
if (mode === 'flagroute') {
  const read = await readEventFiles([file]);
  reportFromEvents(read.accumulator, { unit: 'user' });
} else {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const columns = `columns={time:'VARCHAR',unit:'VARCHAR',cohort:'VARCHAR',backend:'VARCHAR',success:'BOOLEAN',latencyMs:'DOUBLE',quality:'DOUBLE',costUsd:'DOUBLE',satisfaction:'DOUBLE',decisionId:'VARCHAR',configVersion:'VARCHAR'}`;
  // The report's work at both units: each user's sums in each arm (the user unit), and each
  // arm's sums and sums of squares over its events (the request unit), from one scan.
  const sums = `count(*) AS events, min(time) AS first, max(time) AS last,
      sum(success::INT) AS successes,
      count(CASE WHEN success THEN latencyMs END) AS n_latency,
      sum(CASE WHEN success THEN latencyMs / 1000 END) AS latency,
      sum(CASE WHEN success THEN (latencyMs / 1000) ^ 2 END) AS latency_sq,
      count(quality) AS n_quality, sum(quality) AS quality, sum(quality * quality) AS quality_sq,
      count(costUsd) AS n_cost, sum(costUsd) AS cost, sum(costUsd * costUsd) AS cost_sq,
      count(satisfaction) AS n_satisfaction, sum(satisfaction) AS satisfaction,
      sum(satisfaction * satisfaction) AS satisfaction_sq`;
  // One scan, two groupings: per user and arm, and per decision id (the report counts an
  // outcome whose decision id an earlier line had).
  const rows = await connection.runAndReadAll(`
    WITH grouped AS (
      SELECT unit, cohort, decisionId, grouping(decisionId) AS by_unit, ${sums}
      FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', ${columns})
      WHERE cohort <> 'control' GROUP BY GROUPING SETS ((unit, cohort), (decisionId))),
    per_user AS (SELECT * FROM grouped WHERE by_unit = 1)
    SELECT cohort, (SELECT count(*) FILTER (WHERE events > 1 AND decisionId IS NOT NULL)
        FROM grouped WHERE by_unit = 0) AS repeated_ids, count(*) AS users, sum(events), min(first), max(last), sum(successes),
      sum(n_latency), sum(latency), sum(latency_sq), sum(latency * latency),
      sum(n_quality), sum(quality), sum(quality_sq), sum(quality * quality),
      sum(n_cost), sum(cost), sum(cost_sq), sum(cost * cost),
      sum(n_satisfaction), sum(satisfaction), sum(satisfaction_sq), sum(satisfaction * satisfaction)
    FROM per_user GROUP BY cohort`);
  if (rows.getRows().length !== 2) throw new Error('DuckDB did not find both arms');
}
process.stdout.write(
  JSON.stringify({
    ms: performance.now() - started,
    cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpuBefore)),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
