import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrateStore, PostgresEventStore, type StoredOutcome } from 'flagroute';
import pg from 'pg';
import { startBenchPostgres } from './bench-postgres.js';

/** One round: flagroute's ingest and a bare COPY of the same rows, in rows per second. */
export interface IngestRound {
  flagroute: number;
  copy: number;
}

/** The outcome-ingest figures. */
export interface IngestBenchResult {
  rows: number;
  requests: { concurrent: number; outcomesEach: number };
  rounds: IngestRound[];
  /** Median of the rounds' flagroute / COPY throughput. */
  ratio: number;
}

const COLUMNS =
  'decision_id, environment, occurred_at, unit, cohort, backend, success, latency_ms, quality, cost_usd, satisfaction, config_version, instance_id';

function rowsOf(count: number): StoredOutcome[] {
  let seed = 2027;
  const random = () => {
    // Math.imul: a product of two 31-bit numbers in doubles loses its low bits, and the
    // sequence falls into a short cycle (16,282 users out of a million draws).
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const start = Date.UTC(2026, 11, 6);
  return Array.from({ length: count }, (_, index) => {
    const cohort = index % 2 === 0 ? 'lightrag' : 'perplexity';
    return {
      decisionId: `${(index * 7919).toString(36)}-${index.toString(36)}`,
      event: {
        time: new Date(start + index * 10).toISOString(),
        cohort,
        backend: cohort,
        success: random() < 0.95,
        latencyMs: Math.round(400 + 900 * random()),
        quality: Math.round(1000 * random()) / 1000,
        costUsd: 0.002,
        unit: (index % 40_000).toString(16).padStart(32, '0'),
        configVersion: 'bench',
      },
    };
  });
}

function csvOf(rows: readonly StoredOutcome[]): string {
  const cell = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  return rows
    .map(({ decisionId, event }) =>
      [
        decisionId,
        'production',
        event.time,
        event.unit,
        event.cohort,
        event.backend,
        event.success,
        event.latencyMs,
        event.quality,
        event.costUsd,
        event.satisfaction,
        event.configVersion,
        'bench',
      ]
        .map(cell)
        .join(','),
    )
    .join('\n')
    .concat('\n');
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * Outcome ingest into PostgreSQL: `PostgresEventStore.keep` (what `POST /v1/outcomes` awaits
 * with `--store`) from concurrent requests of 50 outcomes each, against a bare server-side
 * `COPY` of the same rows from a CSV file (the database's fastest way in, with no client
 * work and no duplicate check), on one fresh PostgreSQL, alternating, the table emptied
 * between runs.
 */
export async function benchmarkOutcomeIngest(
  rows = 100_000,
  rounds = 5,
): Promise<IngestBenchResult> {
  const postgres = await startBenchPostgres();
  try {
    await migrateStore({ url: postgres.url });
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const data = rowsOf(rows);
    const file = join(postgres.dir, 'outcomes.csv');
    await writeFile(file, csvOf(data));
    await chmod(file, 0o644);
    const concurrent = 32;
    const outcomesEach = 50;
    const result: IngestRound[] = [];
    for (let round = 0; round < rounds; round += 1) {
      await client.query('TRUNCATE flagroute.outcome_events');
      let started = performance.now();
      await client.query(
        `COPY flagroute.outcome_events (${COLUMNS}) FROM '${file}' WITH (FORMAT csv)`,
      );
      const copy = rows / ((performance.now() - started) / 1000);
      await client.query('TRUNCATE flagroute.outcome_events');
      const store = await PostgresEventStore.open({
        url: postgres.url,
        environment: 'production',
        instance: 'bench',
      });
      let next = 0;
      started = performance.now();
      await Promise.all(
        Array.from({ length: concurrent }, async () => {
          for (;;) {
            const at = next;
            next += outcomesEach;
            if (at >= rows) return;
            await store.keep(data.slice(at, at + outcomesEach));
          }
        }),
      );
      const flagroute = rows / ((performance.now() - started) / 1000);
      await store.close();
      const counted = await client.query('SELECT count(*)::int AS n FROM flagroute.outcome_events');
      if (counted.rows[0].n !== rows)
        throw new Error(`ingest wrote ${counted.rows[0].n} of ${rows} rows`);
      result.push({ flagroute, copy });
    }
    await client.end();
    return {
      rows,
      requests: { concurrent, outcomesEach },
      rounds: result,
      ratio: median(result.map((round) => round.flagroute / round.copy)),
    };
  } finally {
    await postgres.stop();
  }
}

/** The figures as markdown. */
export function renderOutcomeIngest(result: IngestBenchResult): string[] {
  const rate = (value: number) => Math.round(value).toLocaleString('en-US');
  const ratios = result.rounds.map((round) => round.flagroute / round.copy);
  return [
    '## Outcome ingest into PostgreSQL',
    '',
    `${result.rows.toLocaleString('en-US')} outcomes. flagroute: \`PostgresEventStore.keep\`, what \`POST /v1/outcomes\` awaits with \`--store\` (${result.requests.concurrent} concurrent requests of ${result.requests.outcomesEach} outcomes; requests that arrive while a statement runs share the next; one \`INSERT ... SELECT FROM unnest(...) ON CONFLICT (decision_id) DO NOTHING RETURNING\` per batch, each its own transaction). Peer: a bare server-side \`COPY ... FROM\` file of the same rows (no client work, no duplicate answer). Same fresh PostgreSQL, default durability, the table emptied before each run.`,
    '',
    '| round | flagroute rows/s | COPY rows/s | ratio |',
    '| --- | ---: | ---: | ---: |',
    ...result.rounds.map(
      (round, index) =>
        `| ${index + 1} | ${rate(round.flagroute)} | ${rate(round.copy)} | ${(round.flagroute / round.copy).toFixed(2)} |`,
    ),
    '',
    `- throughput: flagroute / bare COPY = ${result.ratio.toFixed(2)} (median of the rounds; from ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)})`,
    '',
  ];
}
