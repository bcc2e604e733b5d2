import type { PlanCheck, PlanGuardrails, RollbackTriggerSettings } from '../config/types.js';
import { METRIC_DIRECTIONS } from '../metrics/index.js';
import { analyzePairs, type PairedMetricReport } from '../shadow/index.js';
import {
  differenceReading,
  judgedBy,
  pointReading,
  toleratedMargin,
} from './difference-reading.js';
import {
  actionOf,
  type RegressionGuardrail,
  regressionGuardrails,
  stageAlpha,
} from './guardrail-policy.js';
import {
  breakerReading,
  type GuardrailReading,
  type PlanMetrics,
  type ReadingContext,
  type StagePairs,
  withAction,
} from './guardrails.js';

/** What a look at a shadow stage read: every guardrail, and the pairs it was judged on. */
export interface ShadowLook {
  readings: GuardrailReading[];
  /** Pairs since the stage started that name a user (null: the source has none per user). */
  pairs: { pairs: number; users: number } | null;
}

const MISSING_NOTES: Record<NonNullable<PairedMetricReport['missing']>, string> = {
  no_pairs: 'no pairs yet',
  too_few_units: 'needs pairs from 2 users',
  no_variation: 'no variation in the per-user differences',
};

/**
 * A shadow stage's guardrails, on the pairs since it started, per user (each user's mean
 * shadow value less their mean served value, the paired analysis of `src/shadow`): for every
 * regression guardrail of the plan, LightRAG's shadow answers not significantly worse than
 * Perplexity's on the same queries beyond the metric's margin, with the always-valid interval at
 * this stage run's share of the plan's alpha (satisfaction is not judged: no user saw the
 * shadow's answer); and the rollback triggers on the shadow's own per-user means (error rate,
 * quality, once `min_samples` users have pairs) and the breaker. Each with its graded action.
 */
export function readShadowGuardrails(
  settings: { triggers: RollbackTriggerSettings; guardrails: PlanGuardrails },
  pairs: StagePairs | null,
  metrics: Pick<PlanMetrics, 'breakerOpen'>,
  context: ReadingContext,
): ShadowLook {
  const guard = settings.guardrails;
  const regressions = regressionGuardrails(guard);
  if (pairs === null) {
    return {
      readings: [
        {
          name: 'shadow_pairs',
          value: null,
          threshold: 'pairs per user',
          ok: true,
          note: 'this metrics source has no pairs per user (a shadow stage is judged on router, events=DIR or postgres): the stage cannot advance',
        },
      ],
      pairs: null,
    };
  }
  const alpha = stageAlpha(guard.alpha, context.run, context.stages, regressions.length);
  const report = analyzePairs(pairs, {
    alpha,
    sequential: true,
    sequentialTuning: guard.sequential_tuning,
  });
  const byMetric = new Map(report.metrics.map((metric) => [metric.metric as string, metric]));
  const readings: GuardrailReading[] = [];
  const add = (check: PlanCheck, reading: GuardrailReading) =>
    readings.push(withAction(reading, actionOf(check, guard)));
  const { triggers } = settings;
  if (triggers.enabled) {
    const success = byMetric.get('success_rate');
    const enough = (metric: PairedMetricReport | undefined) =>
      (metric?.units ?? 0) >= triggers.min_samples;
    const few = `fewer than ${triggers.min_samples} users with pairs yet`;
    const errorRate = success?.lightrag_mean == null ? null : 1 - success.lightrag_mean;
    add('error_rate', {
      name: 'error_rate',
      value: errorRate,
      threshold: triggers.error_rate,
      ok: !enough(success) || errorRate! <= triggers.error_rate,
      note: enough(success) ? "the shadow calls' error rate, per user" : few,
    });
    const quality = byMetric.get('quality_score');
    add('min_quality', {
      name: 'min_quality',
      value: quality?.lightrag_mean ?? null,
      threshold: triggers.min_quality,
      ok: !enough(quality) || quality!.lightrag_mean! >= triggers.min_quality,
      note: enough(quality) ? "the shadow answers' quality, per user" : few,
    });
    if (triggers.on_circuit_breaker_open) add('circuit_breaker', breakerReading(metrics));
  }
  for (const guardrail of regressions) {
    const reading = pairedRegression(guardrail, byMetric.get(guardrail.metric), alpha);
    readings.push(withAction(reading, guardrail.action));
  }
  return {
    readings,
    pairs: { pairs: report.pairs - report.pairs_without_unit, users: report.units },
  };
}

/** One regression guardrail on the pairs: LightRAG's shadow worse than the served answers beyond the margin. */
function pairedRegression(
  guardrail: RegressionGuardrail,
  metric: PairedMetricReport | undefined,
  alpha: number,
): GuardrailReading {
  const name = `paired:${guardrail.metric}`;
  const better = METRIC_DIRECTIONS[guardrail.metric];
  const threshold = `LightRAG's shadow answers not significantly ${better === 'higher' ? 'lower' : 'higher'} than Perplexity's on the same queries, per user (${judgedBy(guardrail, alpha, "Perplexity's")})`;
  if (metric === undefined) {
    return {
      name,
      value: null,
      threshold,
      ok: true,
      note: "not judged on pairs: no user saw the shadow's answer (judged from the first stage that serves users)",
    };
  }
  const margin = toleratedMargin(guardrail, metric.perplexity_mean ?? 0);
  if (metric.missing === 'no_variation' && metric.difference !== null) {
    const d = metric.difference;
    return pointReading({
      name,
      threshold,
      better,
      margin,
      estimate: d,
      note: `every one of ${metric.units} users has the same paired difference, ${d.toPrecision(3)} (${metric.pairs} pairs): judged as it is, without an interval`,
    });
  }
  if (metric.sequential_ci === null || metric.difference === null) {
    return {
      name,
      value: metric.difference,
      threshold,
      ok: true,
      note: MISSING_NOTES[metric.missing ?? 'no_pairs'],
    };
  }
  const [low, high] = metric.sequential_ci;
  return differenceReading({
    name,
    threshold,
    better,
    margin,
    estimate: metric.difference,
    interval: [low, high],
    note: `paired difference ${metric.difference.toPrecision(3)} over ${metric.units} users (${metric.pairs} pairs), always-valid interval [${low.toPrecision(3)}, ${high.toPrecision(3)}]`,
  });
}
