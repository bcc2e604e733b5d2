import { expect, it } from 'vitest';
import { byMetric, emptyArmMoments } from '../../src/experiment/index.js';
import { METRIC_TABLE, metricValue, OUTCOME_METRICS } from '../../src/metrics/index.js';
import type { ExposureEvent, OutcomeEvent, StoredOutcome } from '../../src/outcomes/index.js';
import { migrateStore, PostgresEventStore, postgresMetrics } from '../../src/postgres/index.js';
import { readStage } from '../../src/postgres/stage-statistics.js';
import { StorePool } from '../../src/postgres/store-pool.js';
import { parsePostgresUrl } from '../../src/postgres/store-url.js';
import { PairedTally } from '../../src/shadow/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { expectClose } from '../helpers/close-reports.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { silentLogger } from '../helpers/silent-logger.js';

const START = Date.UTC(2026, 11, 6, 10);
const SINCE = START + 60_000;

type Arm = 'lightrag' | 'perplexity';

/**
 * The stage's data as a plain fold of the same events: the reference the SQL is held to. A unit's
 * arm is that of its first exposure of `period` (of any period when null), else of its first
 * outcome since `since`; ties in time go to the first cohort by name, as the SQL's `ORDER BY`.
 */
function reference(
  outcomes: StoredOutcome[],
  exposures: ExposureEvent[],
  period: string | null,
  since = SINCE,
) {
  const byTime = <T extends { time: string; cohort: string | null }>(list: T[]) =>
    [...list].sort(
      (a, b) =>
        Date.parse(a.time) - Date.parse(b.time) || String(a.cohort).localeCompare(String(b.cohort)),
    );
  const inStage = outcomes
    .map((row) => row.event)
    .filter((event) => Date.parse(event.time) >= since);
  const arms = new Map<string, Arm>();
  const touched = new Map<string, Set<Arm>>();
  const touch = (unit: string, arm: Arm) =>
    touched.set(unit, (touched.get(unit) ?? new Set()).add(arm));
  for (const exposure of byTime(
    exposures.filter((each) => period === null || each.period === period),
  )) {
    if (!arms.has(exposure.unit)) arms.set(exposure.unit, exposure.cohort);
    touch(exposure.unit, exposure.cohort);
  }
  for (const event of byTime(inStage)) {
    if (event.unit === undefined) continue;
    if (!arms.has(event.unit)) arms.set(event.unit, event.cohort as Arm);
    touch(event.unit, event.cohort as Arm);
  }
  const sums = new Map<string, Float64Array>();
  let withoutUnit = 0;
  let otherArm = 0;
  for (const event of inStage) {
    if (event.unit === undefined) {
      withoutUnit += 1;
      continue;
    }
    if (arms.get(event.unit) !== event.cohort) {
      otherArm += 1;
      continue;
    }
    const tally = sums.get(event.unit) ?? new Float64Array(METRIC_TABLE.length * 2);
    sums.set(event.unit, tally);
    for (const [index, spec] of METRIC_TABLE.entries()) {
      const value = metricValue(spec, event as never);
      if (value === undefined) continue;
      tally[index * 2]! += value;
      tally[index * 2 + 1]! += 1;
    }
  }
  const moments = {
    treatment: byMetric(emptyArmMoments()),
    baseline: byMetric(emptyArmMoments()),
  };
  const units = { treatment: 0, baseline: 0 };
  for (const [unit, tally] of sums) {
    const side = arms.get(unit) === 'lightrag' ? 'treatment' : 'baseline';
    units[side] += 1;
    for (const [index, metric] of OUTCOME_METRICS.entries()) {
      const [m, d] = [tally[index * 2]!, tally[index * 2 + 1]!];
      if (d === 0) continue;
      const each = moments[side][metric]!;
      each.n += 1;
      each.sum += m;
      each.sum_of_squares += m * m;
      each.denominator_sum! += d;
      each.denominator_sum_of_squares! += d * d;
      each.cross_sum! += m * d;
    }
  }
  const multiple = [...touched.values()].filter((set) => set.size > 1).length;
  return {
    arms: moments,
    counts: {
      units,
      multipleExposures: multiple,
      seen: arms.size,
      otherArmOutcomes: otherArm,
      withoutUnit,
      overLimit: 0,
    },
  };
}

/** A fresh database with the store's schema, and an event store on it (closed after the test). */
async function openStore(createDatabase: () => Promise<string>) {
  const url = await createDatabase();
  await migrateStore({ url });
  const store = await PostgresEventStore.open({
    url,
    environment: 'production',
    logger: silentLogger(),
  });
  onTestEnd(() => store.close());
  return { url, store };
}

/** The production stage since SINCE at `percentage` (null: no stage), read on a pool of its own. */
async function readStageOf(url: string, percentage: number | null) {
  const pool = await StorePool.open(parsePostgresUrl(url, 'test'));
  onTestEnd(() => pool.end());
  return readStage(pool, { environment: 'production', since: SINCE, percentage });
}

/**
 * 300 users' outcomes and exposures, kept in `store` (every write done): most exposed in their
 * arm in period p20, some also in the other arm later (travellers) or in period p10 (at the same
 * time as their p20 exposure), a few outcomes in the other arm and some without a unit.
 */
async function keepUsers(store: PostgresEventStore) {
  const random = new SeededRandom(25);
  const outcomes: StoredOutcome[] = [];
  const exposures: ExposureEvent[] = [];
  for (let user = 0; user < 300; user += 1) {
    const unit = user.toString(16).padStart(32, '0');
    const arm: Arm = random.uniform() < 0.5 ? 'lightrag' : 'perplexity';
    const other: Arm = arm === 'lightrag' ? 'perplexity' : 'lightrag';
    const exposure = (cohort: Arm, period: string, at: number): ExposureEvent => ({
      kind: 'exposure',
      schema: 1,
      time: new Date(at).toISOString(),
      unit,
      cohort,
      backend: cohort,
      percentage: 20,
      period,
    });
    if (user % 5 !== 0) exposures.push(exposure(arm, 'p20', START + user));
    if (user % 17 === 0) exposures.push(exposure(other, 'p20', START + 100_000 + user)); // a traveller
    if (user % 13 === 0) exposures.push(exposure(other, 'p10', START + user)); // another period
    for (let each = random.integer(1, 5); each > 0; each -= 1) {
      const cohort = random.uniform() < 0.05 ? other : arm;
      const success = random.uniform() < 0.9;
      const event: StoredOutcome['event'] = {
        time: new Date(START + random.integer(0, 600_000)).toISOString(),
        cohort,
        backend: cohort,
        success,
        latencyMs: 300 + random.integer(0, 1200),
        quality: random.uniform(),
      };
      if (user % 23 !== 7) event.unit = unit;
      outcomes.push({ decisionId: `d-${user}-${each}`, event });
    }
  }
  await store.keep(outcomes);
  for (const exposure of exposures) store.writeExposure(exposure);
  const deadline = Date.now() + 30_000;
  while (store.health().waiting > 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  expect(store.health().waiting).toBe(0);
  return { outcomes, exposures };
}

describePostgres('the stage of a plan, per user, in SQL', () => {
  const postgres = usePostgres();

  it("sums each unit's outcomes of the stage in the arm of its first exposure of the period, as a plain fold does", async () => {
    const { url, store } = await openStore(() => postgres().createDatabase());
    const { outcomes, exposures } = await keepUsers(store);
    const reading = await readStageOf(url, 20);
    const expected = reference(outcomes, exposures, 'p20');
    expect(expected.counts.units.treatment + expected.counts.units.baseline).toBeGreaterThan(200);
    expect(expected.counts.multipleExposures).toBeGreaterThan(5);
    expectClose({ arms: reading.arms, counts: reading.counts }, expected, 1e-12);
    const latencies = outcomes
      .map((row) => row.event)
      .filter(
        (event) => event.cohort === 'lightrag' && event.success && Date.parse(event.time) >= SINCE,
      )
      .map((event) => event.latencyMs! / 1000)
      .sort((a, b) => a - b);
    const rank = 0.95 * (latencies.length - 1);
    const low = latencies[Math.floor(rank)]!;
    const high = latencies[Math.ceil(rank)]!;
    expect(reading.p95Seconds).toBeCloseTo(low + (high - low) * (rank - Math.floor(rank)), 9);

    // The controller's source gives the same reading, counts included (the multiple-exposure
    // check reads them; the source once dropped them, and the check never ran on a fleet).
    const source = await postgresMetrics(url, 'production', 'test');
    onTestEnd(() => source.close());
    const metrics = await source.read({ since: SINCE, percentage: 20 });
    expect(metrics.unit).toBe('user');
    expectClose({ arms: metrics.arms, counts: metrics.counts }, expected, 1e-12);
    expect(metrics.pairs).toBeUndefined(); // a stage that serves users reads no pairs
  });

  it('without a stage (a command before the plan starts), each unit is in the arm of its first exposure of any period', async () => {
    const { url, store } = await openStore(() => postgres().createDatabase());
    const { outcomes, exposures } = await keepUsers(store);
    const reading = await readStageOf(url, null);
    const expected = reference(outcomes, exposures, null);
    // The other period's exposures move units: a filter on one period would not give this.
    expect(expected.counts).not.toEqual(reference(outcomes, exposures, 'p20').counts);
    expectClose({ arms: reading.arms, counts: reading.counts }, expected, 1e-12);

    const source = await postgresMetrics(url, 'production', 'test');
    onTestEnd(() => source.close());
    const metrics = await source.read();
    expectClose(
      { arms: metrics.arms, counts: metrics.counts },
      reference(outcomes, exposures, null, 0),
      1e-12,
    );
  });

  it("gives a shadow stage its pairs since it started, per user, as the event log's tally does", async () => {
    const { url, store } = await openStore(() => postgres().createDatabase());
    const random = new SeededRandom(30);
    const outcomes: StoredOutcome[] = [];
    for (let user = 0; user < 60; user += 1) {
      const unit = user.toString(16).padStart(32, '0');
      for (let each = random.integer(1, 4); each > 0; each -= 1) {
        const shadowed = random.uniform() < 0.9;
        const event: StoredOutcome['event'] = {
          time: new Date(START + random.integer(0, 600_000)).toISOString(),
          cohort: user % 2 === 0 ? 'control' : 'perplexity',
          backend: 'perplexity',
          success: true,
          latencyMs: 300 + random.integer(0, 1200),
          quality: random.uniform(),
          costUsd: 0.01,
        };
        if (shadowed) {
          event.shadow = {
            success: random.uniform() < 0.95,
            latencyMs: 400 + random.integer(0, 1200),
            quality: random.uniform(),
            costUsd: 0.02,
          };
        }
        if (user % 11 !== 3) event.unit = unit;
        outcomes.push({ decisionId: `p-${user}-${each}`, event });
      }
    }
    await store.keep(outcomes);
    const source = await postgresMetrics(url, 'production', 'test');
    onTestEnd(() => source.close());
    const metrics = await source.read({ since: SINCE, percentage: 0, shadow: true });
    const expected = new PairedTally();
    for (const { event } of outcomes)
      if (Date.parse(event.time) >= SINCE) expected.add(event as OutcomeEvent);
    expect(expected.units.size).toBeGreaterThan(40);
    expect(metrics.pairs!.totals).toEqual(expected.totals);
    expect(new Map([...metrics.pairs!.units].sort())).toEqual(new Map([...expected.units].sort()));
  });
});
