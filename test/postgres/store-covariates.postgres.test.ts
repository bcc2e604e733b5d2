import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { adjustedArms, type CovariateData } from '../../src/experiment/index.js';
import { OUTCOME_METRICS } from '../../src/metrics/index.js';
import type { OutcomeEvent, StoredOutcome } from '../../src/outcomes/index.js';
import { migrateStore, PostgresEventStore, postgresMetrics } from '../../src/postgres/index.js';
import { eventsMetrics } from '../../src/rollout-plan/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { expectClose } from '../helpers/close-reports.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { silentLogger } from '../helpers/silent-logger.js';

const LOG = join(EXPERIMENT_FIXTURES, 'variance-reduction.jsonl');
/** Computed once with numpy's lstsq and scipy by test/fixtures/experiment/variance_reduction.py. */
const reference = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'variance-reduction.json'), 'utf8'),
) as {
  user: Record<string, Record<string, { adjusted: { estimate: number; se: number } }>>;
};

/** A report's variance reduction with every list of columns sorted (their order is first seen). */
function sortedColumns(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedColumns);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, each]) => [
      key,
      key === 'columns' && Array.isArray(each) ? [...each].sort() : sortedColumns(each),
    ]),
  );
}

/** Both arms' regression-adjusted means of each metric, by the report's estimator. */
function adjustedMeans(data: CovariateData) {
  return OUTCOME_METRICS.map((_, index) => {
    const both = adjustedArms(data, index, 'regression');
    return both?.arms.map((arm) => [arm.adjusted.mean, arm.adjusted.variance]) ?? null;
  });
}

describePostgres('covariates in the PostgreSQL store (issue 29)', () => {
  const postgres = usePostgres();

  it('outcome rows keep their covariates (schema 5); experiment report --store shows raw and adjusted as the event log report does, equal to the numpy reference; the postgres metrics source gives the guardrails the same adjusted estimates', async () => {
    const url = await postgres().createDatabase();
    expect(await migrateStore({ url })).toMatchObject({ to: 5 });
    const store = await PostgresEventStore.open({
      url,
      environment: 'production',
      logger: silentLogger(),
    });
    onTestEnd(() => store.close());
    const events = readFileSync(LOG, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as OutcomeEvent);
    expect(events.filter((event) => event.covariates).length).toBeGreaterThan(1000);
    const rows: StoredOutcome[] = events.map((event, index) => ({
      decisionId: `d-${index}`,
      event,
    }));
    // In batches, as instances write them.
    for (let at = 0; at < rows.length; at += 500)
      expect((await store.keep(rows.slice(at, at + 500))).size).toBe(
        Math.min(500, rows.length - at),
      );
    const kept = await postgres().query<{ n: string; type: string | null }>(
      `SELECT count(*) AS n, min(query_type) AS type FROM flagroute.outcome_events
        WHERE query_type IS NOT NULL AND length_bucket IS NOT NULL AND region IS NOT NULL`,
      [],
      new URL(url).pathname.slice(1),
    );
    expect(Number(kept[0]!.n)).toBe(events.filter((event) => event.covariates?.queryType).length);

    const fromFile = await runCli(['experiment', 'report', '--events', LOG, '--json']);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const fromStore = await runCli([
      'experiment',
      'report',
      '--store',
      url,
      '--env',
      'production',
      '--json',
    ]);
    expect(fromStore.code, fromStore.stderr).toBe(0);
    const [file, stored] = [JSON.parse(fromFile.stdout), JSON.parse(fromStore.stdout)];
    expect(stored.variance_reduction.unit).toBe('user');
    expectClose(
      sortedColumns(stored.variance_reduction),
      sortedColumns(file.variance_reduction),
      1e-9,
    );
    for (const [metric, methods] of Object.entries(reference.user)) {
      for (const [method, expected] of Object.entries(methods)) {
        const got = stored.variance_reduction.metrics[metric][method];
        expect(got.adjusted.estimate).toBeCloseTo(expected.adjusted.estimate, 8);
        expect(got.adjusted.se).toBeCloseTo(expected.adjusted.se, 8);
      }
    }
    // The rest of the report too (the notes say where the events came from).
    const mine = (note: string) => /summed per unit by PostgreSQL/.test(note);
    expectClose(
      { ...stored, notes: stored.notes.filter((note: string) => !mine(note)) },
      { ...file, variance_reduction: stored.variance_reduction },
      1e-9,
      // The store keeps per-unit sums, not each response time: no tail test.
      ['malformed', 'duplicate_decision_ids', 'variance_reduction', 'tails', 'source'],
    );
    expect([file.source, stored.source]).toEqual(['events', 'store']);
    const text = await runCli(['experiment', 'report', '--store', url, '--env', 'production']);
    // The header says where the events were read (it said "from events").
    expect(text.stdout).toMatch(
      /^experiment: LightRAG \(treatment\) vs Perplexity \(baseline\), from store, per user,/m,
    );
    expect(text.stdout).toMatch(/[Vv]ariance reduction/);
    expect(text.stdout).toMatch(/regression/);

    // The controller's postgres source: the stage's per-unit covariates only when the plan
    // judges adjusted estimates, and then what the event-log source gives.
    const dir = await mkdtemp(join(tmpdir(), 'flagroute-covariates-'));
    onTestEnd(() => rm(dir, { recursive: true, force: true }));
    await copyFile(LOG, join(dir, 'outcomes-2026-12-01.host-1.jsonl'));
    const fromEvents = await eventsMetrics(dir).read({ since: 0, percentage: 50 });
    const source = await postgresMetrics(url, 'production', 'test');
    onTestEnd(() => source.close());
    const plain = await source.read({ since: 0, percentage: 50 });
    expect(plain.covariates).toBeUndefined();
    const read = await source.read({ since: 0, percentage: 50, covariates: true });
    expect([...read.covariates!.columns].sort()).toEqual(
      [...fromEvents.covariates!.columns].sort(),
    );
    expectClose(adjustedMeans(read.covariates!), adjustedMeans(fromEvents.covariates!), 1e-9);
    expectClose(read.arms, fromEvents.arms, 1e-12);
  }, 120_000);
});
