/**
 * One side of the experiment-report benchmark, in a process of its own so that its time and
 * peak memory are its own: `node experiment-child.js flagroute|duckdb FILE` prints
 * `{ms, maxRssMb}`. flagroute reads, validates and folds every event at both units (the full
 * `experiment report` path); DuckDB computes the same per-arm sums with read_json and GROUP BY.
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
  const columns = `columns={time:'VARCHAR',unit:'VARCHAR',cohort:'VARCHAR',backend:'VARCHAR',success:'BOOLEAN',latencyMs:'DOUBLE',quality:'DOUBLE',costUsd:'DOUBLE',satisfaction:'DOUBLE'}`;
  await connection.runAndReadAll(`
    SELECT cohort, count(*), sum(success::INT),
      count(CASE WHEN success THEN latencyMs END), sum(CASE WHEN success THEN latencyMs / 1000 END),
      sum(CASE WHEN success THEN (latencyMs / 1000) ^ 2 END),
      count(quality), sum(quality), sum(quality * quality),
      count(costUsd), sum(costUsd), sum(costUsd * costUsd),
      count(satisfaction), sum(satisfaction), sum(satisfaction * satisfaction)
    FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', ${columns})
    WHERE cohort <> 'control' GROUP BY cohort`);
}
process.stdout.write(
  JSON.stringify({
    ms: performance.now() - started,
    cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpuBefore)),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
