import type { PlanGuardrails } from '../config/types.js';
import { compareArms, summarize } from '../experiment/index.js';
import { METRIC_DIRECTIONS } from '../metrics/index.js';
import type { RegressionGuardrail } from './guardrail-policy.js';
import type { GuardrailReading } from './guardrails.js';
import type { ArmSnapshot } from './plan-state.js';

function thresholdOf(guardrail: RegressionGuardrail, alpha: number): string {
  const better = METRIC_DIRECTIONS[guardrail.metric];
  const margin =
    'relative' in guardrail.margin
      ? `margin ${guardrail.margin.relative * 100} % of the baseline`
      : `margin ${guardrail.margin.absolute} absolute`;
  return `LightRAG not significantly ${better === 'higher' ? 'lower' : 'higher'} per user (always-valid ${(100 * (1 - alpha)).toPrecision(4)} % interval, this stage's share of the plan's alpha; ${margin})`;
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
 * One regression guardrail on the stage's per-unit (or request) sums: LightRAG worse than the
 * baseline beyond the margin, with the always-valid interval at `alpha`.
 */
export function regression(
  guardrail: RegressionGuardrail,
  stage: ArmSnapshot,
  guard: PlanGuardrails,
  alpha: number,
): GuardrailReading {
  const { metric } = guardrail;
  const name = `regression:${metric}`;
  const better = METRIC_DIRECTIONS[metric];
  const threshold = thresholdOf(guardrail, alpha);
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
      note: 'needs 2 users in each arm (A/B testing on)',
    };
  }
  const comparison = compareArms(st, sb, better, {
    alpha,
    sequentialTuning: guard.sequential_tuning,
  });
  if (!comparison)
    return { name, value: 0, threshold, ok: true, note: 'no variation in either arm' };
  const [low, high] = comparison.sequential_ci;
  const margin =
    'relative' in guardrail.margin
      ? guardrail.margin.relative * Math.abs(sb.mean)
      : guardrail.margin.absolute;
  const worse = better === 'higher' ? high < -margin : low > margin;
  return {
    name,
    value: comparison.estimate,
    threshold,
    ok: !worse,
    interval: [low, high],
    margin,
    note: `difference ${comparison.estimate.toPrecision(3)} over ${st.n} and ${sb.n} users, always-valid interval [${low.toPrecision(3)}, ${high.toPrecision(3)}]`,
  };
}
