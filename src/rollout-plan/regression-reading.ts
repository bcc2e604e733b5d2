import type { PlanGuardrails } from '../config/types.js';
import {
  type ArmSummary,
  adjustedArms,
  type CovariateData,
  compareArms,
  summarize,
} from '../experiment/index.js';
import { METRIC_DIRECTIONS, OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import {
  differenceReading,
  judgedBy,
  pointReading,
  toleratedMargin,
} from './difference-reading.js';
import type { RegressionGuardrail } from './guardrail-policy.js';
import type { GuardrailReading } from './guardrails.js';
import type { ArmSnapshot } from './plan-state.js';

function thresholdOf(guardrail: RegressionGuardrail, alpha: number, adjusted: string): string {
  const better = METRIC_DIRECTIONS[guardrail.metric];
  return `LightRAG not significantly ${better === 'higher' ? 'lower' : 'higher'} per user${adjusted} (${judgedBy(guardrail, alpha, 'the baseline')})`;
}

/** A regression guardrail on request sums the plan did not opt in to: not judged, and why. */
export function requestLevelRefused(guardrail: RegressionGuardrail): GuardrailReading {
  return {
    name: `regression:${guardrail.metric}`,
    value: null,
    threshold: 'not judged',
    ok: true,
    note: 'this metrics source holds request sums only, which are not valid with repeat users; regressions are judged on events or the in-process router, or with rollout_plan.guardrails.request_level: true',
  };
}

/**
 * Users each arm needs per covariate column before a guardrail is judged adjusted: slopes
 * fitted on a handful of users fit their noise, and an always-valid interval (a normal
 * approximation) would then be too narrow at the stage's first looks. Until then it is raw.
 */
export const MIN_USERS_PER_COLUMN = 10;

/** The arms' summaries a regression is judged on: adjusted when asked and possible, else raw. */
interface JudgedArms {
  treatment: ArmSummary;
  baseline: ArmSummary;
  adjustment?: NonNullable<GuardrailReading['adjustment']>;
  /** Why an adjustment the plan asked for was not made. */
  unadjusted?: string;
}

/**
 * Both arms' summaries of `metric`: adjusted by the plan's method to the pooled covariate means
 * when the plan asks for it and the source gave per-unit covariates, else raw (with the reason
 * the adjustment was not made). Null when an arm has too few users.
 */
function judgedArms(
  metric: OutcomeMetric,
  stage: ArmSnapshot,
  guard: PlanGuardrails,
  covariates: CovariateData | undefined,
): JudgedArms | null {
  const t = stage.treatment[metric];
  const b = stage.baseline[metric];
  const st = t ? summarize(t) : null;
  const sb = b ? summarize(b) : null;
  if (!st || !sb) return null;
  const method = guard.adjustment;
  if (method === undefined || method === 'none') return { treatment: st, baseline: sb };
  if (covariates?.unit !== 'user')
    return { treatment: st, baseline: sb, unadjusted: 'no per-user covariates from this source' };
  const both = adjustedArms(covariates, OUTCOME_METRICS.indexOf(metric), method);
  const needed = MIN_USERS_PER_COLUMN * (both?.columns.length ?? 1);
  if (!both || Math.min(st.n, sb.n) < needed)
    return {
      treatment: st,
      baseline: sb,
      unadjusted: `the ${method.replace('_', '-')} adjustment needs ${needed} users in each arm`,
    };
  const [at, ab] = both.arms;
  const rawVariance = at.raw.variance / at.raw.n + ab.raw.variance / ab.raw.n;
  const adjustedVariance =
    at.adjusted.variance / at.adjusted.n + ab.adjusted.variance / ab.adjusted.n;
  return {
    treatment: at.adjusted,
    baseline: ab.adjusted,
    adjustment: {
      method,
      variance_reduction: rawVariance > 0 ? 1 - adjustedVariance / rawVariance : 0,
    },
  };
}

/**
 * One regression guardrail on the stage's per-unit (or request) sums: LightRAG worse than the
 * baseline beyond the margin, with the always-valid interval at `alpha`; on the difference
 * adjusted for the queries' covariates when the plan's `adjustment` asks for it and
 * `covariates` (the stage's per-unit cross-products) are given.
 */
export function regression(
  guardrail: RegressionGuardrail,
  stage: ArmSnapshot,
  guard: PlanGuardrails,
  alpha: number,
  covariates?: CovariateData,
): GuardrailReading {
  const { metric } = guardrail;
  const name = `regression:${metric}`;
  const better = METRIC_DIRECTIONS[metric];
  const arms = judgedArms(metric, stage, guard, covariates);
  const adjusted = arms?.adjustment
    ? `, adjusted for the queries' covariates (${arms.adjustment.method.replace('_', '-')})`
    : '';
  const threshold = thresholdOf(guardrail, alpha, adjusted);
  if (!arms) {
    return {
      name,
      value: null,
      threshold,
      ok: true,
      note: 'needs 2 users in each arm (A/B testing on)',
    };
  }
  const { treatment: st, baseline: sb } = arms;
  const comparison = compareArms(st, sb, better, {
    alpha,
    sequentialTuning: guard.sequential_tuning,
  });
  const margin = toleratedMargin(guardrail, sb.mean);
  if (!comparison) {
    // Means of equal values summed in another order differ in their last bits (0.8 over 7 users
    // against 0.8 over 3 came to -2.2e-16): a difference within that rounding is none, or a
    // margin of 0 judges it a regression and rolls back a plan whose arms are the same.
    const raw = st.mean - sb.mean;
    const rounding = 8 * Number.EPSILON * Math.max(Math.abs(st.mean), Math.abs(sb.mean));
    const d = Math.abs(raw) <= rounding ? 0 : raw;
    if (!Number.isFinite(d))
      return { name, value: null, threshold, ok: true, note: 'no test is defined' };
    return pointReading({
      name,
      threshold,
      better,
      margin,
      estimate: d,
      note: `no variation in either arm (every user the same): difference ${d.toPrecision(3)} over ${st.n} and ${sb.n} users, judged as it is, without an interval`,
    });
  }
  const [low, high] = comparison.sequential_ci;
  const notes = [
    `difference ${comparison.estimate.toPrecision(3)} over ${st.n} and ${sb.n} users, always-valid interval [${low.toPrecision(3)}, ${high.toPrecision(3)}]`,
  ];
  if (arms.adjustment)
    notes.push(
      `adjusted for covariates: ${(100 * arms.adjustment.variance_reduction).toFixed(1)} % of the variance removed`,
    );
  if (arms.unadjusted) notes.push(`not adjusted: ${arms.unadjusted}`);
  return differenceReading({
    name,
    threshold,
    better,
    margin,
    estimate: comparison.estimate,
    interval: [low, high],
    ...(arms.adjustment ? { adjustment: arms.adjustment } : {}),
    note: notes.join('; '),
  });
}
