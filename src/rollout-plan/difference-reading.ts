import { exactInterval } from '../experiment/index.js';
import type { MetricDirection } from '../metrics/index.js';
import type { RegressionGuardrail } from './guardrail-policy.js';
import type { GuardrailReading } from './guardrails.js';

/** A regression guardrail's margin in the metric's unit: relative to `baseline`'s mean, or absolute. */
export function toleratedMargin(guardrail: RegressionGuardrail, baseline: number): number {
  return 'relative' in guardrail.margin
    ? guardrail.margin.relative * Math.abs(baseline)
    : guardrail.margin.absolute;
}

/**
 * How a regression guardrail judges, in words for its threshold: the interval at `alpha` and the
 * margin, relative to `of` (`the baseline`, `Perplexity's`) or absolute.
 */
export function judgedBy(guardrail: RegressionGuardrail, alpha: number, of: string): string {
  const margin =
    'relative' in guardrail.margin
      ? `margin ${guardrail.margin.relative * 100} % of ${of}`
      : `margin ${guardrail.margin.absolute} absolute`;
  return `always-valid ${(100 * (1 - alpha)).toPrecision(4)} % interval, this stage's share of the plan's alpha; ${margin}`;
}

/** What a regression reading says of a difference (LightRAG less the baseline) it judged. */
export interface JudgedDifference {
  name: string;
  threshold: string;
  /** Which direction of the metric is better. */
  better: MetricDirection;
  /** How much worse still passes, in the metric's unit ({@link toleratedMargin}). */
  margin: number;
  /** The difference. */
  estimate: number;
  /** Its interval; one point when the difference is known exactly. */
  interval: [number, number];
  adjustment?: GuardrailReading['adjustment'];
  note: string;
}

/**
 * A regression guardrail's reading: LightRAG worse when the whole interval of the difference
 * lies beyond the margin on the metric's bad side. The one rule every regression reading
 * (per-user arms, request sums, a shadow stage's pairs) is judged by.
 */
export function differenceReading(judged: JudgedDifference): GuardrailReading {
  const { better, margin, interval } = judged;
  const [low, high] = interval;
  const worse = better === 'higher' ? high < -margin : low > margin;
  return {
    name: judged.name,
    value: judged.estimate,
    threshold: judged.threshold,
    ok: !worse,
    interval,
    margin,
    ...(judged.adjustment ? { adjustment: judged.adjustment } : {}),
    note: judged.note,
  };
}

/**
 * A difference without variation (every unit the same in each arm, or every user's paired
 * difference the same), judged as the interval of one point it is ({@link exactInterval}).
 */
export function pointReading(judged: Omit<JudgedDifference, 'interval'>): GuardrailReading {
  return differenceReading({ ...judged, interval: exactInterval(judged.estimate) });
}
