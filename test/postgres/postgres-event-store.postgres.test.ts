import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { analyzeExperiment, eventsSource } from '../../src/experiment/index.js';
import {
  type ExposureEvent,
  OutcomeEventLog,
  type StoredOutcome,
} from '../../src/outcomes/index.js';
import { migrateStore, PostgresEventStore, storeEventsSource } from '../../src/postgres/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { expectClose } from '../helpers/close-reports.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { silentLogger } from '../helpers/silent-logger.js';

const ENVIRONMENT = 'production';

async function storeOn(url: string, options: { maxWaiting?: number; instance?: string } = {}) {
  const store = await PostgresEventStore.open({
    url,
    environment: ENVIRONMENT,
    logger: silentLogger(),
    instance: options.instance ?? 'test-instance',
    ...(options.maxWaiting === undefined ? {} : { maxWaiting: options.maxWaiting }),
  });
  onTestEnd(() => store.close());
  return store;
}

const row = (decisionId: string, fields: Partial<StoredOutcome['event']> = {}): StoredOutcome => ({
  decisionId,
  event: {
    time: '2026-12-06T10:00:00.000Z',
    cohort: 'lightrag',
    backend: 'lightrag',
    success: true,
    latencyMs: 900,
    unit: 'u'.repeat(32),
    configVersion: 'cfg',
    ...fields,
  },
});

async function until<T>(look: () => T | undefined | false, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = look();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A seeded experiment: users with 1 to 6 outcomes, a few without a unit, control and exposures. */
function experiment(seed: number) {
  const random = new SeededRandom(seed);
  const outcomes: StoredOutcome[] = [];
  const exposures: ExposureEvent[] = [];
  const start = Date.UTC(2026, 11, 6, 9);
  for (let user = 0; user < 600; user += 1) {
    const unit = user.toString(16).padStart(32, '0');
    const cohort = user % 11 === 0 ? 'control' : random.uniform() < 0.5 ? 'lightrag' : 'perplexity';
    const backend = cohort === 'lightrag' ? 'lightrag' : 'perplexity';
    if (cohort !== 'control') {
      exposures.push({
        kind: 'exposure',
        schema: 1,
        time: new Date(start + user).toISOString(),
        unit,
        cohort,
        backend,
        percentage: 20,
        period: 'p20',
        configVersion: 'cfg',
      });
    }
    for (let each = random.integer(1, 6); each > 0; each -= 1) {
      const success = random.uniform() < (cohort === 'lightrag' ? 0.93 : 0.9);
      const event: StoredOutcome['event'] = {
        time: new Date(start + random.integer(0, 3_600_000)).toISOString(),
        cohort,
        backend,
        success,
        latencyMs: Math.round(400 + 900 * random.uniform() ** 2),
        quality: Math.round(1000 * random.uniform()) / 1000,
        costUsd: 0.001 + random.uniform() / 100,
        configVersion: 'cfg',
      };
      if (random.uniform() < 0.3) event.satisfaction = random.uniform();
      if (user % 97 !== 5) event.unit = unit;
      outcomes.push({ decisionId: `d-${user}-${each}`, event });
    }
  }
  return { outcomes, exposures };
}

describePostgres('the event store on PostgreSQL', () => {
  const postgres = usePostgres();

  it('writes each decision once, fleet-wide: a replay from another instance, or twice in one batch, is not new', async () => {
    const url = await postgres().createDatabase();
    await migrateStore({ url });
    const [one, two] = await Promise.all([
      storeOn(url, { instance: 'one' }),
      storeOn(url, { instance: 'two' }),
    ]);
    expect([...(await one.keep([row('a'), row('b')]))].sort()).toEqual(['a', 'b']);
    expect([...(await two.keep([row('b'), row('c')]))]).toEqual(['c']);
    // Concurrent requests on two instances for the same 200 decisions: each is new once.
    const ids = Array.from({ length: 200 }, (_, index) => `same-${index}`);
    const answers = await Promise.all(
      ids.flatMap((id) => [one.keep([row(id)]), two.keep([row(id)]), one.keep([row(id)])]),
    );
    expect(answers.reduce((sum, fresh) => sum + fresh.size, 0)).toBe(200);
    const rows = await postgres().query<{ n: string; instances: string }>(
      "SELECT count(*) AS n, count(DISTINCT instance_id) AS instances FROM flagroute.outcome_events WHERE decision_id LIKE 'same-%'",
      [],
      new URL(url).pathname.slice(1),
    );
    expect(Number(rows[0]!.n)).toBe(200);
    expect(one.health()).toMatchObject({ status: 'ok', waiting: 0 });
  });

  it('a stopped database: requests are refused with a coded error, background rows wait, then beyond the limit are dropped and counted; all resumes when it is back', async () => {
    const url = await postgres().createDatabase();
    await migrateStore({ url });
    const store = await storeOn(url, { maxWaiting: 50 });
    await store.keep([row('before')]);
    await postgres().stop('fast');
    onTestEnd(async () => {
      if (!postgres().running) await postgres().start();
    });
    const refusal = await store.keep([row('during')]).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(refusal).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    // The answer goes to an ingest client: what to do, not where the database is.
    const { hostname, port, pathname, username } = new URL(url);
    for (const secret of [`${hostname}:${port}`, pathname.slice(1), username])
      expect(refusal?.message).not.toContain(secret);
    expect(refusal?.message).toMatch(
      /cannot be reached now; nothing was recorded, send the outcomes again/,
    );
    expect(store.health().refused).toEqual({ store_unavailable: 1 });
    for (let index = 0; index < 60; index += 1) {
      store.writeExposure({
        kind: 'exposure',
        schema: 1,
        time: '2026-12-06T10:00:00.000Z',
        unit: index.toString(16).padStart(32, '0'),
        cohort: 'lightrag',
        backend: 'lightrag',
        percentage: 10,
        period: 'p10',
      });
    }
    const degraded = store.health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.failure?.reason).toMatch(/^store_(unavailable|behind)$/);
    expect(degraded.dropped.backlog).toBe(10);
    expect(degraded.waiting).toBe(50);
    await expect(store.keep([row('behind')])).rejects.toMatchObject({ code: 'EVENTS_BACKLOGGED' });
    expect(store.health().refused).toEqual({ store_unavailable: 1, store_behind: 1 });
    await postgres().start();
    await until(() => store.health().waiting === 0, 'the waiting exposures to be written');
    expect(store.health()).toMatchObject({ status: 'ok', dropped: { backlog: 10 } });
    expect([...(await store.keep([row('during')]))]).toEqual(['during']);
    const exposed = await postgres().query<{ n: string }>(
      'SELECT count(*) AS n FROM flagroute.exposure_events',
      [],
      new URL(url).pathname.slice(1),
    );
    expect(Number(exposed[0]!.n)).toBe(50);
  });

  it('experiment report from the store (per-unit sums in SQL) equals the report from the event log files to 1e-9', async () => {
    const url = await postgres().createDatabase();
    await migrateStore({ url });
    const store = await storeOn(url);
    const { outcomes, exposures } = experiment(27);
    const dir = await mkdtemp(join(tmpdir(), 'flagroute-store-report-'));
    onTestEnd(() => rm(dir, { recursive: true, force: true }));
    const log = new OutcomeEventLog({ dir, instance: 'report-test' });
    for (const { event } of outcomes) {
      if (event.cohort !== null) log.write({ ...event, cohort: event.cohort });
    }
    for (const exposure of exposures) log.writeExposure(exposure);
    await log.close();
    for (let at = 0; at < outcomes.length; at += 700)
      await store.keep(outcomes.slice(at, at + 700));
    for (const exposure of exposures) store.writeExposure(exposure);
    await until(() => store.health().waiting === 0, 'the exposures to be written');

    const files = [join(dir, `outcomes-2026-12-06.report-test.jsonl`)];
    for (const unit of ['user', 'request'] as const) {
      const fromFiles = analyzeExperiment(await eventsSource(files).read(unit));
      const fromStore = analyzeExperiment(
        await storeEventsSource(url, { environment: ENVIRONMENT }).read(unit),
      );
      expect(fromStore.unit).toBe(unit);
      expect(fromStore.source).toBe('store');
      expect(fromFiles.source).toBe('events');
      // Not a comparison of two empty reports: every outcome of an arm is there, per user.
      expect(fromFiles.events).toMatchObject({ analyzed: expect.any(Number) });
      expect(fromFiles.events!.analyzed).toBeGreaterThan(1500);
      const mine = (note: string) => /summed per unit by PostgreSQL/.test(note);
      expect(fromStore.notes.filter(mine)).toHaveLength(1);
      expectClose(
        { ...fromStore, source: 'events', notes: fromStore.notes.filter((note) => !mine(note)) },
        { ...fromFiles, notes: fromFiles.notes.filter((note) => !/tail test/.test(note)) },
        1e-9,
        // The store keeps per-unit sums, not each response time: no tail test.
        ['malformed', 'duplicate_decision_ids', 'tails'],
      );
      expect(fromStore.tails.comparisons.every((c) => c.missing === 'no_values')).toBe(true);
    }
  });
});
