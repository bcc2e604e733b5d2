import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlanGuardrails, RollbackTriggerSettings } from '../../src/config/types.js';
import { readGuardrails } from '../../src/rollout-plan/guardrails.js';
import { eventsMetrics, type PlanMetrics, routerMetrics } from '../../src/rollout-plan/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { perUser } from '../helpers/hand-source.js';
import { DEFAULT_GUARDRAILS, PLAN_TRIGGERS } from '../helpers/plan-simulation.js';
import { routerIn } from '../helpers/test-router.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();

async function eventDir(lines: object[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-events-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'outcomes-2026-01-01.host-1.jsonl'),
    `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`,
  );
  return dir;
}

const exposure = (unit: string, cohort: string, percentage: number, at = T0) => ({
  kind: 'exposure',
  schema: 1,
  time: iso(at),
  unit,
  cohort,
  backend: cohort,
  percentage,
  period: `p${percentage}`,
});
const outcome = (unit: string, cohort: string, quality: number, at = T0 + 1000) => ({
  time: iso(at),
  unit,
  cohort,
  backend: cohort,
  success: true,
  latencyMs: 900,
  quality,
});

describe('per-user metrics sources', () => {
  it('the event log, aggregated by unit for the stage: the arm of the first exposure in its period, outcomes since it started', async () => {
    const dir = await eventDir([
      // Before the stage (the 10 % period): left out.
      exposure('u1', 'perplexity', 10, T0 - 60_000),
      outcome('u1', 'perplexity', 0.1, T0 - 30_000),
      // The 20 % stage: u1 moved to LightRAG with the ramp, as the threshold hash moves it.
      exposure('u1', 'lightrag', 20),
      outcome('u1', 'lightrag', 0.9),
      outcome('u1', 'lightrag', 0.7),
      exposure('u2', 'perplexity', 20),
      outcome('u2', 'perplexity', 0.8),
      // A traveller: exposed in LightRAG, then served by Perplexity in another region.
      exposure('u3', 'lightrag', 20),
      outcome('u3', 'lightrag', 0.6),
      outcome('u3', 'perplexity', 0.2),
      // No unit: left out at the user unit.
      {
        time: iso(T0 + 1000),
        cohort: 'lightrag',
        backend: 'lightrag',
        success: true,
        latencyMs: 1,
      },
    ]);
    const read = await eventsMetrics(dir).read({ since: T0, percentage: 20 });
    expect(read.unit).toBe('user');
    expect(read.arms.treatment.quality_score).toMatchObject({
      n: 2,
      sum: 1.6 + 0.6,
      denominator_sum: 3,
    });
    expect(read.arms.baseline.quality_score).toMatchObject({ n: 1, sum: 0.8 });
    expect(read.counts).toMatchObject({
      units: { treatment: 2, baseline: 1 },
      multipleExposures: 1,
      otherArmOutcomes: 1,
      withoutUnit: 1,
    });
  });

  it('an event directory that cannot be listed says why in words, not with the system call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flagroute-events-'));
    onTestEnd(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'outcomes.jsonl');
    await writeFile(file, '');
    const missing = join(dir, 'none');
    await expect(eventsMetrics(missing).read()).rejects.toThrow(
      new RegExp(`^${missing}: no such directory$`),
    );
    await expect(eventsMetrics(file).read()).rejects.toThrow(
      new RegExp(`^${file}: it is not a directory$`),
    );
  });

  it("the in-process router: each user's outcomes summed once per stage; a new period starts afresh", async () => {
    const { router } = await routerIn({
      'environments/development.yaml': 'rollout_percentage: 100\nenable_ab_testing: true\n',
    });
    const source = routerMetrics(router);
    const since = Date.now() - 1000;
    for (let user = 0; user < 40; user += 1) {
      const userId = `user-${user}`;
      for (let request = 0; request < 5; request += 1) {
        const decision = router.decideSync({ userId });
        router.recordOutcome(decision, { userId, success: true, latencyMs: 500, quality: 0.8 });
      }
    }
    router.recordOutcome(router.decideSync({ userId: 'x' }), { success: true, latencyMs: 500 });
    const read = await source.read({ since, percentage: 100 });
    expect(read.unit).toBe('user');
    const units = read.counts!.units;
    expect(units.treatment + units.baseline).toBe(41 - 1);
    expect(read.arms.treatment.quality_score!.n).toBe(units.treatment);
    expect(read.arms.treatment.quality_score).toMatchObject({
      denominator_sum: units.treatment * 5,
    });
    expect(read.counts).toMatchObject({ withoutUnit: 1, multipleExposures: 0 });
    // A later stage at the same percentage (a resume): its data starts at its first reading.
    const again = await source.read({ since: Date.now() + 1, percentage: 100 });
    expect(again.counts!.units).toEqual({ treatment: 0, baseline: 0 });
  });

  it("a shadow stage's pairs, per user, since the stage started: from the event log and the in-process router", async () => {
    const pair = (unit: string, served: number, shadowed: number, at = T0 + 1000) => ({
      ...outcome(unit, 'control', served, at),
      backend: 'perplexity',
      shadow: { success: true, latencyMs: 1200, quality: shadowed },
    });
    const dir = await eventDir([
      pair('u1', 0.5, 0.1, T0 - 1000), // before the stage: left out
      pair('u1', 0.7, 0.8),
      pair('u1', 0.6, 0.9),
      pair('u2', 0.8, 0.7),
      outcome('u3', 'perplexity', 0.4), // not a pair
    ]);
    const events = await eventsMetrics(dir).read({ since: T0, percentage: 0, shadow: true });
    expect(events.pairs!.totals.pairs).toBe(3);
    expect(events.pairs!.units.get('u1')!.metrics.quality_score).toEqual({
      pairs: 2,
      lightrag: 0.8 + 0.9,
      perplexity: 0.7 + 0.6,
    });
    expect(events.pairs!.units.size).toBe(2);
    // A stage that serves users reads no pairs.
    expect((await eventsMetrics(dir).read({ since: T0, percentage: 0 })).pairs).toBeUndefined();

    const { router } = await routerIn({
      'environments/development.yaml':
        'rollout_percentage: 0\nshadow:\n  percentage: 100\n  max_per_second: 1000\n',
    });
    const source = routerMetrics(router);
    const since = Date.now() - 1000;
    for (let user = 0; user < 12; user += 1) {
      const userId = `user-${user}`;
      for (let request = 0; request < 3; request += 1) {
        const decision = router.decideSync({ userId, requestId: `r-${user}-${request}` });
        expect(decision.shadow).toBe('lightrag');
        router.recordOutcome(decision, {
          userId,
          success: true,
          latencyMs: 900,
          quality: 0.7,
          shadow: { success: true, latencyMs: 1100, quality: 0.75 },
        });
      }
    }
    const read = await source.read({ since, percentage: 0, shadow: true });
    expect(read.pairs!.units.size).toBe(12);
    expect(read.pairs!.totals.pairs).toBe(36);
    // A stage that started after these pairs starts afresh.
    const later = await source.read({ since: Date.now() + 1, percentage: 0, shadow: true });
    expect(later.pairs!.totals.pairs).toBe(0);
  });
});

describe('regression guardrails and the unit of the data', () => {
  const triggers: RollbackTriggerSettings = { ...PLAN_TRIGGERS, enabled: false, min_samples: 20 };
  const guardrails: PlanGuardrails = { ...DEFAULT_GUARDRAILS, metrics: ['quality_score'] };
  const n = 2000;
  const moments = (mean: number) => ({
    n,
    sum: n * mean,
    sum_of_squares: n * (mean * mean + 0.01),
  });
  const worse: PlanMetrics['arms'] = {
    treatment: { quality_score: moments(0.7) },
    baseline: { quality_score: moments(0.8) },
  };

  it('request sums (Prometheus) judge no regression unless the plan opts in, and say so', () => {
    const metrics = { unit: 'request', breakerOpen: null, p95Seconds: null } as const;
    const [refused] = readGuardrails({ triggers, guardrails }, worse, metrics);
    expect(refused).toMatchObject({ name: 'regression:quality_score', ok: true, value: null });
    expect(refused!.note).toMatch(/request sums only.*request_level: true/);
    const [judged] = readGuardrails(
      { triggers, guardrails: { ...guardrails, request_level: true } },
      worse,
      metrics,
    );
    expect(judged).toMatchObject({ ok: false, action: 'roll_back' });
  });

  it('per-user data is judged, with an absolute or a relative margin', () => {
    const metrics = { unit: 'user', breakerOpen: null, p95Seconds: null } as const;
    const perUserWorse = {
      treatment: { quality_score: perUser(moments(0.7)) },
      baseline: { quality_score: perUser(moments(0.8)) },
    };
    const judge = (margin: { relative: number } | { absolute: number }) =>
      readGuardrails(
        { triggers, guardrails: { ...guardrails, metrics: [{ metric: 'quality_score', margin }] } },
        perUserWorse,
        metrics,
      )[0]!.ok;
    expect(judge({ absolute: 0 })).toBe(false);
    expect(judge({ absolute: 0.2 })).toBe(true);
    expect(judge({ relative: 0.05 })).toBe(false);
    expect(judge({ relative: 0.25 })).toBe(true);
  });
});
