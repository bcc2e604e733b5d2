import type {
  ActionSpec,
  GuardrailAction,
  PlanCheck,
  PlanGuardrails,
  RollbackTriggerSettings,
} from '../config/types.js';
import { type ArmMoments, armMean, type CovariateData } from '../experiment/index.js';
import { type Moments, type OutcomeMetric, subtractMoments } from '../metrics/index.js';
import type { PairedTallyState } from '../shadow/index.js';
import { actionOf, regressionGuardrails, stageAlpha } from './guardrail-policy.js';
import type { ArmSnapshot } from './plan-state.js';
import { regression, requestLevelRefused } from './regression-reading.js';
import type { StageCounts } from './stage-tally.js';

/** A stage's pairs per user, as the shadow duel's tally holds them. */
export type StagePairs = PairedTallyState & { unitsBeyondBound?: number };

/**
 * What a metrics source reports for a plan. At the user unit, `arms` is the current stage's
 * data alone (per-unit sums); at the request unit, cumulative request sums since the source's
 * start, of which the step takes the difference since the stage began.
 */
export interface PlanMetrics {
  /** `user`: per-unit sums of the stage; `request`: cumulative request sums (Prometheus). */
  unit: 'user' | 'request';
  /** Moments of LightRAG (cohort `lightrag`) and its baseline (cohort `perplexity`). */
  arms: ArmSnapshot;
  /** What the per-unit tally counted (user unit only). */
  counts?: StageCounts;
  /**
   * The stage's per-unit covariate cross-products (user unit only, when the outcomes carried
   * covariates): what a plan with `guardrails.adjustment` judges its regressions on.
   */
  covariates?: CovariateData;
  /** Whether the circuit breaker is open (null: the source cannot tell). */
  breakerOpen: boolean | null;
  /** LightRAG's recent p95 response time in seconds (null: unknown or no data). */
  p95Seconds: number | null;
  /** The reason of a rollback the source's router made itself (its own triggers), if any. */
  rollback: string | null;
  /**
   * A shadow stage's pairs since it started, per user (read only for a shadow stage's window);
   * absent or null: the source has none per user (Prometheus).
   */
  pairs?: StagePairs | null;
  /**
   * Lines the source skipped as no outcome or exposure event (an events directory): how many,
   * and the first few as `file:line: problem`.
   */
  skipped?: { lines: number; examples: string[] };
}

/** One guardrail's current value against its threshold, for status and the dashboard. */
export interface GuardrailReading {
  name: string;
  value: number | null;
  threshold: number | string;
  ok: boolean;
  /** What the plan does when this check fails `for` looks in a row. */
  action?: GuardrailAction;
  for?: number;
  /** Why there is no value, or what the value means. */
  note?: string;
  /** A regression's always-valid interval of the difference (LightRAG less the baseline). */
  interval?: [number, number];
  /** A regression's tolerated margin, in the metric's unit (how much worse still passes). */
  margin?: number;
  /**
   * A regression judged on the difference adjusted for the queries' covariates: the method and
   * the share of the difference's variance it removed.
   */
  adjustment?: { method: 'regression' | 'post_stratification'; variance_reduction: number };
}

/** Which stage run a reading is for: its alpha depends on it (see {@link stageAlpha}). */
export interface ReadingContext {
  /** The stage run, from 1 at the plan's start. */
  run: number;
  /** The plan's stage count. */
  stages: number;
}

const ZERO: Moments = { n: 0, sum: 0, sum_of_squares: 0 };

/** The data of the current stage from request sums: cumulative moments less those when it started. */
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

/** Units of each arm in the stage's data (users at the user unit, outcomes at the request unit). */
export function unitsOf(stage: ArmSnapshot): { treatment: number; baseline: number } {
  return {
    treatment: stage.treatment.success_rate?.n ?? 0,
    baseline: stage.baseline.success_rate?.n ?? 0,
  };
}

/** Outcomes behind moments: the count of values (the user unit's denominator sum). */
function outcomesOf(moments: ArmMoments | undefined): number {
  return moments?.denominator_sum ?? moments?.n ?? 0;
}

export function withAction(reading: GuardrailReading, spec: ActionSpec): GuardrailReading {
  return { ...reading, action: spec.action, for: spec.for };
}

/**
 * Every guardrail on the stage's data, each with its action: the rollback triggers (LightRAG's
 * error rate, average quality, p95 response time, an open breaker) once `min_samples` outcomes
 * are in; the share of units seen in both arms; and no significant regression against the
 * baseline on the plan's guardrail metrics, judged per user with the always-valid interval at
 * this stage run's share of the plan's alpha (on the covariate-adjusted difference when the
 * plan's `adjustment` asks for it and the source has covariates).
 */
export function readGuardrails(
  settings: { triggers: RollbackTriggerSettings; guardrails: PlanGuardrails },
  stage: ArmSnapshot,
  metrics: Pick<PlanMetrics, 'breakerOpen' | 'p95Seconds' | 'unit' | 'counts' | 'covariates'>,
  context: ReadingContext = { run: 1, stages: 1 },
): GuardrailReading[] {
  const guard = settings.guardrails;
  const readings: GuardrailReading[] = [];
  const add = (check: PlanCheck, reading: GuardrailReading) =>
    readings.push(withAction(reading, actionOf(check, guard)));
  const triggers = settings.triggers;
  if (triggers.enabled) {
    // Per user, min_samples counts users: one user's outcomes are correlated, and a few users
    // with many failures would otherwise cross an absolute threshold by chance.
    const enough = (moments: ArmMoments | undefined) =>
      (metrics.unit === 'user' ? (moments?.n ?? 0) : outcomesOf(moments)) >= triggers.min_samples;
    const samples = metrics.unit === 'user' ? 'users' : 'outcomes';
    const success = stage.treatment.success_rate;
    const errorRate = armMean(success) === null ? null : 1 - armMean(success)!;
    add('error_rate', {
      name: 'error_rate',
      value: errorRate,
      threshold: triggers.error_rate,
      ok: !enough(success) || errorRate! <= triggers.error_rate,
      ...(enough(success) ? {} : { note: `fewer than ${triggers.min_samples} ${samples} yet` }),
    });
    const quality = stage.treatment.quality_score;
    add('min_quality', {
      name: 'min_quality',
      value: armMean(quality),
      threshold: triggers.min_quality,
      ok: !enough(quality) || armMean(quality)! >= triggers.min_quality,
      ...(enough(quality)
        ? {}
        : { note: `fewer than ${triggers.min_samples} ${samples} with quality scores yet` }),
    });
    add('p95_response_time', {
      name: 'p95_response_time',
      value: metrics.p95Seconds,
      threshold: triggers.response_time_seconds,
      ok:
        metrics.p95Seconds === null ||
        !enough(stage.treatment.response_time) ||
        metrics.p95Seconds <= triggers.response_time_seconds,
      ...(metrics.p95Seconds === null ? { note: 'not available from this metrics source' } : {}),
    });
    if (triggers.on_circuit_breaker_open) add('circuit_breaker', breakerReading(metrics));
  }
  if (metrics.counts) add('multiple_exposures', multipleExposures(metrics.counts, guard));
  const regressions = regressionGuardrails(guard);
  for (const guardrail of regressions) {
    const alpha = stageAlpha(guard.alpha, context.run, context.stages, regressions.length);
    const reading =
      metrics.unit === 'request' && !guard.request_level
        ? requestLevelRefused(guardrail)
        : regression(guardrail, stage, guard, alpha, metrics.covariates);
    readings.push(withAction(reading, guardrail.action));
  }
  return readings;
}

/** Units seen in both arms within the stage, against the plan's largest share. */
/** The circuit breaker's trigger: closed passes; a source that cannot tell passes and says so. */
export function breakerReading(metrics: Pick<PlanMetrics, 'breakerOpen'>): GuardrailReading {
  const { breakerOpen } = metrics;
  return {
    name: 'circuit_breaker',
    value: breakerOpen === null ? null : breakerOpen ? 1 : 0,
    threshold: 'closed',
    ok: breakerOpen !== true,
    ...(breakerOpen === null ? { note: 'not available from this metrics source' } : {}),
  };
}

function multipleExposures(counts: StageCounts, guard: PlanGuardrails): GuardrailReading {
  const share = counts.seen > 0 ? counts.multipleExposures / counts.seen : 0;
  const notes: string[] = [
    `${counts.multipleExposures} of ${counts.seen} units seen in both arms (each analysed in its first arm; ${counts.otherArmOutcomes} outcomes in the other arm left out)`,
  ];
  if (counts.withoutUnit > 0)
    notes.push(`${counts.withoutUnit} outcomes named no user and are left out`);
  if (counts.overLimit > 0)
    notes.push(`${counts.overLimit} outcomes of units beyond the stage's unit limit are left out`);
  return {
    name: 'multiple_exposures',
    value: share,
    threshold: guard.max_multiple_exposures,
    // A handful of units cannot make a share: at least 10 must be in both arms.
    ok: counts.multipleExposures < 10 || share <= guard.max_multiple_exposures,
    note: notes.join('; '),
  };
}

/** A reading as the reason of a rollback: its value against its threshold. */
export function describeReading(reading: GuardrailReading): string {
  const value = reading.value === null ? 'no value' : reading.value.toPrecision(4);
  return `${value} against ${reading.threshold}${reading.note ? ` (${reading.note})` : ''}`;
}
