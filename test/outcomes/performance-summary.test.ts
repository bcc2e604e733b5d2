import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PerformanceTracker, SLICE_MS, WINDOW_SLICES } from '../../src/outcomes/index.js';
import type { Router } from '../../src/router/router.js';
import { type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

let temp: TempConfigDir | undefined;
let router: Router | undefined;

// The guide's "Example Output" of get_performance_summary().
const GUIDE_EXAMPLE = {
  circuit_breaker: { is_open: false, failure_count: 2, success_rate: 0.98, total_requests: 1000 },
  performance: {
    lightrag: {
      success_count: 245,
      error_count: 5,
      avg_response_time: 2.3,
      avg_quality_score: 0.85,
    },
    perplexity: {
      success_count: 740,
      error_count: 10,
      avg_response_time: 1.8,
      avg_quality_score: 0.78,
    },
  },
};

function shapeOf(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shapeOf(inner)]));
}

describe('getPerformanceSummary', () => {
  it("has the guide's shape, times in seconds, plus per-cohort figures", async () => {
    const clock = new FakeClock();
    temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 50\nenable_ab_testing: true\ncircuit_breaker_threshold: 100\nrollback_triggers: { enabled: false }\n',
    });
    router = await testRouter({
      configDir: temp.dir,
      env: {},
      logger: silentLogger(),
      clock,
      watch: false,
    });
    for (let index = 0; index < 200; index += 1) {
      const decision = await router.decide({ userId: `user-${index}` });
      router.recordOutcome(decision, {
        success: index % 10 !== 0,
        latencyMs: decision.backend === 'lightrag' ? 2300 : 1800,
        quality: decision.backend === 'lightrag' ? 0.85 : 0.78,
        costUsd: 0.002,
        satisfaction: 0.9,
      });
    }
    router.recordFailure('lightrag');
    router.recordFailure('lightrag');
    const summary = router.getPerformanceSummary();

    const guideShape = shapeOf(GUIDE_EXAMPLE) as Record<string, Record<string, unknown>>;
    const ours = shapeOf(summary) as Record<string, Record<string, unknown>>;
    expect(ours.circuit_breaker).toMatchObject(guideShape.circuit_breaker!);
    expect(ours.performance).toMatchObject(guideShape.performance!);

    expect(summary.circuit_breaker).toMatchObject({ is_open: false, failure_count: 2 });
    const lightrag = summary.performance.lightrag;
    expect(lightrag.avg_response_time).toBeCloseTo(2.3, 1);
    expect(lightrag.p95_response_time).toBeCloseTo(2.3, 1);
    expect(lightrag.avg_quality_score).toBeCloseTo(0.85);
    expect(lightrag.avg_cost_usd).toBeCloseTo(0.002);
    expect(summary.performance.perplexity.median_response_time).toBeCloseTo(1.8, 1);
    expect(lightrag.success_count + lightrag.error_count).toBe(
      summary.circuit_breaker.total_requests,
    );

    const { lightrag: arm, perplexity: fallbackArm, control } = summary.cohorts;
    expect(
      arm.success_count +
        arm.error_count +
        fallbackArm.success_count +
        fallbackArm.error_count +
        control.success_count +
        control.error_count,
    ).toBe(200);
    expect(
      summary.cohort_distribution.lightrag +
        summary.cohort_distribution.perplexity +
        summary.cohort_distribution.control,
    ).toBe(200);
    expect(summary.cohort_distribution.lightrag).toBe(arm.success_count + arm.error_count);
    expect(summary.decisions_by_reason).toEqual({ user_cohort_assignment: 200 });
    expect(summary.quality_gate.state).toBe('open');
    expect(summary.config).toMatchObject({
      environment: 'development',
      version: router.status().configVersion,
      last_reload: { ok: true },
    });
    expect(lightrag.recent.success_count).toBe(lightrag.success_count);

    clock.advance(WINDOW_SLICES * SLICE_MS + 1);
    const later = router.getPerformanceSummary().performance.lightrag;
    expect(later.recent.success_count).toBe(0);
    expect(later.success_count).toBe(lightrag.success_count);
  });

  it('rejects bad outcome values and changes nothing', async () => {
    temp = await tempConfigDir({ 'environments/development.yaml': 'rollout_percentage: 100\n' });
    router = await testRouter({
      configDir: temp.dir,
      env: {},
      logger: silentLogger(),
      watch: false,
    });
    const decision = await router.decide({ userId: 'a' });
    expect(() => router?.recordOutcome(decision, { success: true, latencyMs: -5 })).toThrow(
      'outcome.latencyMs must be a number of milliseconds from 0 to 3600000 (one hour), got -5',
    );
    expect(() => router?.recordOutcome(decision, { success: true, quality: 2 })).toThrow(
      'outcome.quality must be a number from 0 to 1, got 2',
    );
    expect(() =>
      router?.recordOutcome({ backend: 'x' as 'lightrag', cohort: null }, { success: true }),
    ).toThrow('backend must be "lightrag" or "perplexity", got "x"');
    expect(() => router?.recordOutcome(decision, { success: 'yes' as unknown as boolean })).toThrow(
      'outcome.success must be true or false, got "yes"',
    );
    expect(router.getPerformanceSummary().performance.lightrag.success_count).toBe(0);
  });
});

function heapUsedAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('PerformanceTracker memory', () => {
  it('retains the same size after a million outcomes as after a thousand', () => {
    const clock = new FakeClock();
    const tracker = new PerformanceTracker(clock);
    const record = (count: number) => {
      for (let index = 0; index < count; index += 1) {
        clock.advance(1);
        tracker.add(
          index % 3 === 0 ? 'lightrag' : 'perplexity',
          index % 2 === 0 ? 'control' : 'lightrag',
          {
            success: index % 17 !== 0,
            latencyMs: (index % 5000) + 1,
            quality: (index % 100) / 100,
            costUsd: 0.001,
          },
        );
      }
    };
    record(1_000);
    const after1k = tracker.footprintBytes;
    const heapBefore = heapUsedAfterGc();
    record(1_000_000);
    expect(tracker.footprintBytes).toBe(after1k);
    // Anything kept per outcome (8 bytes a number, 5 series) would add tens of megabytes.
    expect(heapUsedAfterGc() - heapBefore).toBeLessThan(4 * 1024 * 1024);
    const summary = tracker.summary();
    expect(
      summary.backends.lightrag.success_count + summary.backends.lightrag.error_count,
    ).toBeGreaterThan(330_000);
    expect(summary.backends.perplexity.p99_response_time).toBeGreaterThan(4.9);
  });
});
