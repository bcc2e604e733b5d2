import type { PlanGuardrails, RollbackTriggerSettings } from '../config/types.js';
import { summarize } from '../experiment/arm-moments.js';
import { compareArms } from '../experiment/compare-arms.js';
import {
  METRIC_DIRECTIONS,
  type Moments,
  meanOf as metricsMeanOf,
  type OutcomeMetric,
  subtractMoments,
} from '../metrics/index.js';
import type { ArmSnapshot } from './plan-state.js';

/**
 * What a metrics source reports for a plan: request sums since its own start (of which the
 * step takes the difference since the stage began), or, with `unit: 'user'`, the current
 * stage's data alone as per-unit sums (each unit one observation, its outcomes summed).
 */
export interface PlanMetrics {
  /** `user`: the stage's per-unit sums; absent or `request`: cumulative request sums. */
  unit?: 'user' | 'request';
  /** Moments of LightRAG (cohort `lightrag`) and its baseline (cohort `perplexity`). */
  arms: ArmSnapshot;
  /** Whether the circuit breaker is open (null: the source cannot tell). */
  breakerOpen: boolean | null;
  /** LightRAG's recent p95 response time in seconds (null: unknown or no data). */
  p95Seconds: number | null;
  /** The reason of a rollback the source's router made itself (its own triggers), if any. */
  rollback: string | null;
}

/** One guardrail's current value against its threshold, for status and the dashboard. */
export interface GuardrailReading {
  name: string;
  value: number | null;
  threshold: number | string;
  ok: boolean;
  /** Why there is no value, or what the value means. */
  note?: string;
}

const ZERO: Moments = { n: 0, sum: 0, sum_of_squares: 0 };

/** The data of the current stage: cumulative moments less those when the stage started. */
export function sinceStageStart(now: ArmSnapshot, start: ArmSnapshot | null): ArmSnapshot {
  const minus = (arm: 'treatment' | 'baseline') => {
    const result: Partial<Record<OutcomeMetric, Moments>> = {};
    for (const [metric, moments] of Object.entries(now[arm]) as [OutcomeMetric, Moments][]) {
      const before = start?.[arm][metric] ?? ZERO;
      // A source that restarted (counts went down) is read from its new start.
      const reset = moments.n < before.n;
      result[metric] = reset ? moments : subtractMoments(moments, before);
    }
    return result;
  };
  return { treatment: minus('treatment'), baseline: minus('baseline') };
}

/** Units (outcomes) of each arm in the stage's data. */
export function unitsOf(stage: ArmSnapshot): { treatment: number; baseline: number } {
  return {
    treatment: stage.treatment.success_rate?.n ?? 0,
    baseline: stage.baseline.success_rate?.n ?? 0,
  };
}

/** The mean of a metric: per unit sum(m) over sum(d) (the values' own mean), else the moments'. */
function meanOf(moments: (Moments & { denominator_sum?: number }) | undefined): number | null {
  if (!moments || moments.n === 0) return null;
  if (moments.denominator_sum !== undefined) return moments.sum / moments.denominator_sum;
  return metricsMeanOf(moments);
}

/**
 * Every guardrail on the stage's data: the rollback triggers (LightRAG's error rate, average
 * quality, p95 response time, an open breaker) once `min_samples` outcomes are in, and no
 * significant regression against the baseline on the plan's guardrail metrics, judged with the
 * sequential interval (valid however often it is looked at).
 */
export function readGuardrails(
  settings: { triggers: RollbackTriggerSettings; guardrails: PlanGuardrails },
  stage: ArmSnapshot,
  metrics: Pick<PlanMetrics, 'breakerOpen' | 'p95Seconds'>,
): GuardrailReading[] {
  const readings: GuardrailReading[] = [];
  const triggers = settings.triggers;
  if (triggers.enabled) {
    const enough = (moments: Moments | undefined) => (moments?.n ?? 0) >= triggers.min_samples;
    const success = stage.treatment.success_rate;
    const errorRate = meanOf(success) === null ? null : 1 - meanOf(success)!;
    readings.push({
      name: 'error_rate',
      value: errorRate,
      threshold: triggers.error_rate,
      ok: !enough(success) || errorRate! <= triggers.error_rate,
      ...(enough(success) ? {} : { note: `fewer than ${triggers.min_samples} outcomes yet` }),
    });
    const quality = stage.treatment.quality_score;
    readings.push({
      name: 'min_quality',
      value: meanOf(quality),
      threshold: triggers.min_quality,
      ok: !enough(quality) || meanOf(quality)! >= triggers.min_quality,
      ...(enough(quality) ? {} : { note: `fewer than ${triggers.min_samples} quality scores yet` }),
    });
    readings.push({
      name: 'p95_response_time',
      value: metrics.p95Seconds,
      threshold: triggers.response_time_seconds,
      ok:
        metrics.p95Seconds === null ||
        !enough(stage.treatment.response_time) ||
        metrics.p95Seconds <= triggers.response_time_seconds,
      ...(metrics.p95Seconds === null ? { note: 'not available from this metrics source' } : {}),
    });
    if (triggers.on_circuit_breaker_open) {
      readings.push({
        name: 'circuit_breaker',
        value: metrics.breakerOpen === null ? null : metrics.breakerOpen ? 1 : 0,
        threshold: 'closed',
        ok: metrics.breakerOpen !== true,
        ...(metrics.breakerOpen === null ? { note: 'not available from this metrics source' } : {}),
      });
    }
  }
  const guard = settings.guardrails;
  for (const metric of guard.metrics) readings.push(regression(metric, stage, guard));
  return readings;
}

function regression(
  metric: OutcomeMetric,
  stage: ArmSnapshot,
  guard: PlanGuardrails,
): GuardrailReading {
  const name = `regression:${metric}`;
  const better = METRIC_DIRECTIONS[metric];
  const threshold = `LightRAG not significantly ${better === 'higher' ? 'lower' : 'higher'} (sequential ${(1 - guard.alpha) * 100} % interval, tolerance ${guard.tolerance * 100} %)`;
  const t = stage.treatment[metric];
  const b = stage.baseline[metric];
  const st = t ? summarize(t) : null;
  const sb = b ? summarize(b) : null;
  if (!st || !sb) {
    return {
      name,
      value: null,
      threshold,
      ok: true,
      note: 'needs 2 outcomes in each arm (A/B testing on)',
    };
  }
  const comparison = compareArms(st, sb, better, {
    alpha: guard.alpha,
    sequentialTuning: guard.sequential_tuning,
  });
  if (!comparison)
    return { name, value: 0, threshold, ok: true, note: 'no variation in either arm' };
  const [low, high] = comparison.sequential_ci;
  const margin = guard.tolerance * Math.abs(sb.mean);
  const worse = better === 'higher' ? high < -margin : low > margin;
  return {
    name,
    value: comparison.estimate,
    threshold,
    ok: !worse,
    note: `difference ${comparison.estimate.toPrecision(3)}, sequential interval [${low.toPrecision(3)}, ${high.toPrecision(3)}]`,
  };
}
