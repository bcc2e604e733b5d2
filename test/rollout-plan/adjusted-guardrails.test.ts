import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  GuardrailAdjustment,
  PlanGuardrails,
  RollbackTriggerSettings,
} from '../../src/config/types.js';
import { readGuardrails } from '../../src/rollout-plan/guardrails.js';
import { eventsMetrics, type PlanMetrics, routerMetrics } from '../../src/rollout-plan/index.js';
import { MIN_USERS_PER_COLUMN } from '../../src/rollout-plan/regression-reading.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';
import { DEFAULT_GUARDRAILS, PLAN_TRIGGERS } from '../helpers/plan-simulation.js';
import { routerIn } from '../helpers/test-router.js';

/** Computed once with numpy's lstsq and scipy by test/fixtures/experiment/variance_reduction.py. */
const reference = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'variance-reduction.json'), 'utf8'),
) as {
  user: Record<
    string,
    Record<
      'regression' | 'post_stratification',
      { raw: { estimate: number }; adjusted: { estimate: number }; variance_reduction: number }
    >
  >;
};

const triggers: RollbackTriggerSettings = { ...PLAN_TRIGGERS, enabled: false, min_samples: 20 };

const guardrailsWith = (adjustment: GuardrailAdjustment): PlanGuardrails => ({
  ...DEFAULT_GUARDRAILS,
  metrics: ['quality_score', 'response_time', 'cost_per_query'],
  adjustment,
});

const judged = (metrics: PlanMetrics, adjustment: GuardrailAdjustment) =>
  Object.fromEntries(
    readGuardrails({ triggers, guardrails: guardrailsWith(adjustment) }, metrics.arms, metrics).map(
      (reading) => [reading.name.replace('regression:', ''), reading],
    ),
  );

describe('regression guardrails on covariate-adjusted estimates (issue 29)', () => {
  it('from the event log: the adjusted per-user difference each guardrail judges is the report reference (numpy lstsq, scipy)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flagroute-adjusted-'));
    onTestEnd(() => rm(dir, { recursive: true, force: true }));
    await copyFile(
      join(EXPERIMENT_FIXTURES, 'variance-reduction.jsonl'),
      join(dir, 'outcomes-2026-12-01.host-1.jsonl'),
    );
    const metrics = await eventsMetrics(dir).read();
    expect(metrics.covariates?.unit).toBe('user');
    for (const method of ['regression', 'post_stratification'] as const) {
      const readings = judged(metrics, method);
      for (const metric of ['quality_score', 'response_time', 'cost_per_query']) {
        const expected = reference.user[metric]![method];
        const reading = readings[metric]!;
        expect(reading.value).toBeCloseTo(expected.adjusted.estimate, 9);
        expect(reading.adjustment?.method).toBe(method);
        expect(reading.adjustment?.variance_reduction).toBeCloseTo(expected.variance_reduction, 6);
        expect(reading.threshold).toMatch(/adjusted for the queries' covariates/);
        expect(reading.note).toMatch(/% of the variance removed/);
      }
    }
    // Off (the default), the same data is judged raw.
    const raw = judged(metrics, 'none');
    expect(raw.quality_score!.value).toBeCloseTo(
      reference.user.quality_score!.regression.raw.estimate,
      9,
    );
    expect(raw.quality_score!.adjustment).toBeUndefined();
  });

  it('the in-process router keeps each unit covariate sums for the stage; too few users or no covariates: judged raw, and the reading says why', async () => {
    const { router } = await routerIn({
      'environments/development.yaml': 'rollout_percentage: 100\nenable_ab_testing: true\n',
    });
    const source = routerMetrics(router);
    const since = Date.now() - 1000;
    const types = ['factual', 'code'];
    const users = (from: number, to: number) => {
      for (let user = from; user < to; user += 1) {
        const userId = `user-${user}`;
        for (let request = 0; request < 3; request += 1) {
          const complexity = ((user * 7 + request * 3) % 10) / 10;
          const decision = router.decideSync({
            userId,
            queryType: types[(user + request) % 2]!,
            queryComplexity: complexity,
          });
          router.recordOutcome(decision, {
            userId,
            success: true,
            latencyMs: 500,
            quality: 0.7 + 0.25 * complexity + ((user * 13) % 7) / 100,
          });
        }
      }
    };
    users(0, 20);
    const early = await source.read({ since, percentage: 100 });
    // lengthBucket, complexity and the two query types: 4 columns, 40 users per arm.
    expect(early.covariates?.columns).toEqual([
      'lengthBucket',
      'complexity',
      'queryType=factual',
      'queryType=code',
    ]);
    const few = judged(early, 'regression').quality_score!;
    expect(few.adjustment).toBeUndefined();
    expect(few.note).toMatch(
      new RegExp(`not adjusted: the regression adjustment needs ${4 * MIN_USERS_PER_COLUMN} users`),
    );
    users(20, 200);
    const metrics = await source.read({ since, percentage: 100 });
    const units = metrics.counts!.units;
    expect(Math.min(units.treatment, units.baseline)).toBeGreaterThanOrEqual(40);
    const adjusted = judged(metrics, 'regression').quality_score!;
    expect(adjusted.adjustment?.variance_reduction).toBeGreaterThan(0.5);
    // Post-stratification uses the query type's two columns.
    const stratified = judged(metrics, 'post_stratification').quality_score!;
    expect(stratified.adjustment?.method).toBe('post_stratification');
    // A source without covariates: judged raw, and said so.
    const { covariates: _, ...without } = metrics;
    const bare = judged(without, 'regression').quality_score!;
    expect(bare.adjustment).toBeUndefined();
    expect(bare.note).toMatch(/not adjusted: no per-user covariates from this source/);
    expect(bare.value).toBeCloseTo(judged(metrics, 'none').quality_score!.value!, 12);
  });
});
