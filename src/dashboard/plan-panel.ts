import { isOutcomeMetric, type MetricFormat, metricSpec } from '../metrics/index.js';
import type { GuardrailReading, PlanStatus } from '../rollout-plan/index.js';
import type { GuardrailRow, PlanPanel, ProgressBar, StageItem } from './page/view-model.js';
import { figure, foldHistory, formatWith } from './view-text.js';

/** How many lines of the plan's transitions the page shows, after folding repeats. */
const TRANSITION_LINES = 30;

const percent = (decimals: number): MetricFormat => ({
  scale: 100,
  decimals,
  prefix: '',
  suffix: ' %',
});
/**
 * A difference of two percentages is in percentage points: 12 % against 10 % is 2 pp, and
 * "2 %" would read as a relative change.
 */
function differenceFormat(format: MetricFormat): MetricFormat {
  return format.suffix === ' %' ? { ...format, suffix: ' pp' } : format;
}

const seconds: MetricFormat = { scale: 1, decimals: 2, prefix: '', suffix: ' s' };
const score: MetricFormat = { scale: 1, decimals: 3, prefix: '', suffix: '' };

/**
 * The checks that are not a regression: their words, their format, and which side of the
 * threshold passes (`max`: at most the threshold; `min`: at least; `state`: a state, no room).
 */
const CHECKS: Readonly<
  Record<string, { label: string; format: MetricFormat; bound: 'max' | 'min' | 'state' }>
> = {
  error_rate: { label: 'LightRAG error rate', format: percent(2), bound: 'max' },
  min_quality: { label: 'LightRAG average quality', format: score, bound: 'min' },
  p95_response_time: { label: 'LightRAG p95 response time', format: seconds, bound: 'max' },
  circuit_breaker: { label: 'circuit breaker', format: score, bound: 'state' },
  multiple_exposures: { label: 'users seen in both arms', format: percent(1), bound: 'max' },
};

const ACTION_WORDS = {
  hold: 'hold the stage',
  pause: 'pause the plan',
  step_down: 'step down a stage',
  roll_back: 'roll back to 0 %',
} as const;

function actionText(reading: GuardrailReading): string {
  if (!reading.action) return '–';
  const looks = reading.for ?? 1;
  return `${ACTION_WORDS[reading.action]} after ${looks} failing look${looks === 1 ? '' : 's'}`;
}

/** One guardrail's row: value, threshold, margin, interval, action and state. */
export function guardrailRow(reading: GuardrailReading): GuardrailRow {
  // `regression:<metric>` compares the arms; `paired:<metric>` a shadow stage's pairs.
  const [kind, metric] = reading.name.split(':') as [string, string | undefined];
  const spec = metric !== undefined && isOutcomeMetric(metric) ? metricSpec(metric) : null;
  const check = CHECKS[reading.name];
  const format = spec?.format ?? check?.format ?? score;
  // A regression's (or a pair's) value and interval are LightRAG less the baseline: a difference.
  const valueFormat = spec ? differenceFormat(format) : format;
  const label = spec
    ? `no regression in ${spec.label}${kind === 'paired' ? ' (shadow, on the same queries)' : ''}`
    : (check?.label ?? reading.name);
  const value =
    reading.name === 'circuit_breaker'
      ? figure(
          'value',
          reading.value,
          reading.value === null ? '–' : reading.value ? 'open' : 'closed',
        )
      : figure('value', reading.value, formatWith(valueFormat, reading.value));
  const waiting = reading.value === null || (reading.note ?? '').startsWith('fewer than');
  const waitingText = reading.value === null ? 'no value yet' : 'too few samples yet';
  return {
    name: reading.name,
    label,
    value,
    threshold:
      typeof reading.threshold === 'number'
        ? `${check?.bound === 'min' ? 'at least' : 'at most'} ${formatWith(format, reading.threshold)}`
        : reading.threshold,
    margin: marginText(reading, format, check?.bound),
    interval: reading.interval
      ? `[${formatWith(valueFormat, reading.interval[0])}, ${formatWith(valueFormat, reading.interval[1])}]`
      : '–',
    action: actionText(reading),
    state: !reading.ok ? 'failed' : waiting ? 'waiting' : 'ok',
    stateText: !reading.ok ? 'FAILED' : waiting ? waitingText : 'ok',
    note: reading.note ?? '',
  };
}

/** The room left before a check fails, or a regression's tolerated margin. */
function marginText(
  reading: GuardrailReading,
  valueFormat: MetricFormat,
  bound: 'max' | 'min' | 'state' | undefined,
): string {
  const format = differenceFormat(valueFormat);
  if (reading.margin !== undefined) return `${formatWith(format, reading.margin)} worse tolerated`;
  if (reading.value === null || typeof reading.threshold !== 'number' || !bound) return '–';
  if (bound === 'state') return '–';
  const room =
    bound === 'max' ? reading.threshold - reading.value : reading.value - reading.threshold;
  return room >= 0 ? `${formatWith(format, room)} to spare` : `${formatWith(format, -room)} over`;
}

function stageItems(plan: PlanStatus): StageItem[] {
  return plan.stages.map((stage, index) => ({
    number: index + 1,
    percentage: stage.shadow ? `shadow ${stage.percentage} %` : `${stage.percentage} %`,
    detail: stage.shadow
      ? `no user on LightRAG, hold ${stage.hold}, ${stage.min_pairs} pairs${stage.approval ? ', approval' : ''}`
      : `hold ${stage.hold}${stage.min_units ? `, ${stage.min_units} per arm` : ''}${stage.approval ? ', approval' : ''}`,
    state: stage.state,
  }));
}

function progressBars(plan: PlanStatus): ProgressBar[] {
  const look = plan.state.lastLook;
  if (!look) return [];
  if (plan.pairs) {
    const { pairs, users, needed } = plan.pairs;
    return [
      {
        arm: 'pairs',
        text: `pairs: ${pairs} of ${needed} from ${users} users at this shadow stage`,
        percent: Math.round((needed > 0 ? Math.min(1, pairs / needed) : 1) * 100),
      },
    ];
  }
  const needed = plan.stages[plan.state.stage]?.min_units ?? 0;
  return (
    [
      ['LightRAG', look.units.treatment],
      ['baseline', look.units.baseline],
    ] as const
  ).map(([arm, count]) => ({
    arm,
    text: `${arm}: ${count}${needed ? ` of ${needed}` : ''} at this stage`,
    percent: Math.round((needed > 0 ? Math.min(1, count / needed) : 1) * 100),
  }));
}

/** The plan as the page shows it, with the plan's own transitions, repeats folded. */
export function planPanel(plan: PlanStatus | null): PlanPanel | null {
  if (!plan) return null;
  const { state } = plan;
  const look = state.lastLook;
  return {
    phase: state.phase,
    reason: state.reason,
    stages: stageItems(plan),
    holdLeft:
      plan.holdLeftMs === null ? '' : `hold left ${Math.ceil(plan.holdLeftMs / 60_000)} min`,
    progress: progressBars(plan),
    guardrails: (look?.guardrails ?? []).map(guardrailRow),
    guardrailsNote: look
      ? ''
      : state.phase === 'pending'
        ? 'no look yet: the plan has not started'
        : 'no look yet at this stage',
    transitions: foldHistory(
      [...state.history].reverse().map((transition) => ({
        at: transition.at,
        text: `${transition.event}: ${transition.reason}`,
      })),
      TRANSITION_LINES,
    ),
  };
}
