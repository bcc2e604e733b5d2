/**
 * The one table of outcome metrics. Each row says where the metric is read from (a field of an
 * outcome), in which unit, which direction is better, and how it is named and shown. Everything
 * that speaks of outcome metrics follows from it: the outcome's type, the accumulators, the
 * experiment's directions, the report's labels and formats, the Prometheus series and the
 * dashboard. A new metric is one row (and its field in schemas/outcome-event.schema.json, which
 * a test holds to this table).
 */

/** Which direction of a metric is good. */
export type MetricDirection = 'higher' | 'lower';

/** How a metric's value is shown: times `scale`, to `decimals`, between `prefix` and `suffix`. */
export interface MetricFormat {
  scale: number;
  decimals: number;
  prefix: string;
  suffix: string;
}

/** One row of {@link METRIC_TABLE}. */
export interface MetricSpec {
  /** The metric's name in reports, statistics, the plan's guardrails and Prometheus labels. */
  name: string;
  /** The outcome field it is read from. */
  field: string;
  /** The field's unit as reported (`ms`, `USD`, ...). */
  fieldUnit: string;
  /**
   * The values the field accepts, in its unit, both ends included (null: true or false). An
   * outcome beyond them is refused, naming the field; schemas/outcome-event.schema.json says
   * the same (a test holds it to this), so the parser, the docs and the accumulators agree.
   */
  range: readonly [min: number, max: number] | null;
  /** The metric's unit: the field divided by {@link MetricSpec.perUnit}. */
  unit: string;
  /** Field units per metric unit (1000 ms per second). */
  perUnit: number;
  /** Counted over successful outcomes only (a failed call's time is the time to fail). */
  successOnly: boolean;
  better: MetricDirection;
  /** Its name in words, for reports and the dashboard. */
  label: string;
  format: MetricFormat;
  /** Its average's key in the performance summary (the guide's names). */
  summaryKey: string;
  /**
   * The fixed reference its power sums are taken around wherever sums travel between processes
   * or in time (Prometheus, the controller's stage deltas): sum(x - reference) and
   * sum((x - reference)^2). Fixed, so the sums of every instance still add; a typical value,
   * so the sum of squares does not carry the mean's square beside a small spread. 0 where
   * the sums are counts (the success rate: the number of successes) or the values lie in
   * [0, 1], where a shift gains nothing.
   */
  reference: number;
}

const plain = (decimals: number): MetricFormat => ({ scale: 1, decimals, prefix: '', suffix: '' });

/** The outcome metrics, in report order. */
export const METRIC_TABLE = [
  {
    name: 'response_time',
    field: 'latencyMs',
    fieldUnit: 'ms',
    // One hour: what the latency histogram tracks; a call that takes longer is a lost one.
    range: [0, 3_600_000],
    unit: 'seconds',
    perUnit: 1000,
    successOnly: true,
    better: 'lower',
    label: 'response time',
    format: { scale: 1, decimals: 3, prefix: '', suffix: ' s' },
    summaryKey: 'avg_response_time',
    // A typical response time: sums of t - 1 s keep the spread from the mean's square.
    reference: 1,
  },
  {
    name: 'success_rate',
    field: 'success',
    fieldUnit: 'true or false',
    range: null,
    unit: '1 or 0',
    perUnit: 1,
    successOnly: false,
    better: 'higher',
    label: 'success rate',
    format: { scale: 100, decimals: 2, prefix: '', suffix: ' %' },
    summaryKey: 'success_rate',
    reference: 0,
  },
  {
    name: 'quality_score',
    field: 'quality',
    fieldUnit: 'score from 0 to 1',
    range: [0, 1],
    unit: 'score',
    perUnit: 1,
    successOnly: false,
    better: 'higher',
    label: 'quality score',
    format: plain(3),
    summaryKey: 'avg_quality_score',
    reference: 0,
  },
  {
    name: 'cost_per_query',
    field: 'costUsd',
    fieldUnit: 'USD',
    // A thousand dollars for one query: above any real call, below a unit slip (micro-dollars).
    range: [0, 1000],
    unit: 'USD',
    perUnit: 1,
    successOnly: false,
    better: 'lower',
    label: 'cost per query',
    format: { scale: 1, decimals: 5, prefix: '$', suffix: '' },
    summaryKey: 'avg_cost_usd',
    reference: 0,
  },
  {
    name: 'satisfaction',
    field: 'satisfaction',
    fieldUnit: 'score from 0 to 1',
    range: [0, 1],
    unit: 'score',
    perUnit: 1,
    successOnly: false,
    better: 'higher',
    label: 'satisfaction',
    format: plain(3),
    summaryKey: 'avg_satisfaction',
    reference: 0,
  },
] as const satisfies readonly MetricSpec[];

/** A row of the table, with its literal types. */
export type MetricRow = (typeof METRIC_TABLE)[number];
/** An outcome metric. */
export type OutcomeMetric = MetricRow['name'];
/** A field of an outcome that carries a metric. */
export type MetricField = MetricRow['field'];

/** The outcome metrics' names, in report order. */
export const OUTCOME_METRICS: readonly OutcomeMetric[] = METRIC_TABLE.map((row) => row.name);

/**
 * The measured part of an outcome: `success`, and every other metric's field, each optional
 * (an outcome carries what the service measured).
 */
export type Outcome = { success: boolean } & {
  [Row in MetricRow as Row['field'] extends 'success' ? never : Row['field']]?: number;
};

const BY_NAME = new Map<string, MetricRow>(METRIC_TABLE.map((row) => [row.name, row]));

/** The table's row of a metric. */
export function metricSpec(metric: OutcomeMetric): MetricRow {
  return BY_NAME.get(metric)!;
}

/** Whether `name` is one of the outcome metrics. */
export function isOutcomeMetric(name: unknown): name is OutcomeMetric {
  return typeof name === 'string' && BY_NAME.has(name);
}

/** One column of the table, by metric. */
function column<Key extends keyof MetricRow>(
  key: Key,
): Readonly<Record<OutcomeMetric, MetricRow[Key]>> {
  return Object.freeze(
    Object.fromEntries(METRIC_TABLE.map((row) => [row.name, row[key]])) as Record<
      OutcomeMetric,
      MetricRow[Key]
    >,
  );
}

/** Which direction of each metric is better. */
export const METRIC_DIRECTIONS: Readonly<Record<OutcomeMetric, MetricDirection>> = column('better');
/** Each metric's name in words. */
export const METRIC_LABELS: Readonly<Record<OutcomeMetric, string>> = column('label');
/** Each metric's fixed reference for power sums (see {@link MetricSpec.reference}). */
export const METRIC_REFERENCES: Readonly<Record<OutcomeMetric, number>> = column('reference');

/** A metric's value in an outcome, in the metric's unit; undefined when the outcome has none. */
export function metricValue(row: MetricRow, outcome: Outcome): number | undefined {
  if (row.successOnly && !outcome.success) return undefined;
  const raw = (outcome as Record<MetricField, number | boolean | undefined>)[row.field];
  if (raw === undefined) return undefined;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return row.perUnit === 1 ? raw : raw / row.perUnit;
}

/**
 * Every metric's value in an outcome, in table order, NaN where the outcome carries none
 * (outcome values are finite, so NaN is free to mean "absent"); written into `into`, so that a
 * caller adding one outcome to several accumulators reads it once.
 */
export function metricValues(
  outcome: Outcome,
  into: Float64Array = new Float64Array(METRIC_TABLE.length),
): Float64Array {
  for (let index = 0; index < METRIC_TABLE.length; index += 1) {
    into[index] = metricValue(METRIC_TABLE[index]!, outcome) ?? Number.NaN;
  }
  return into;
}

const RESPONSE_TIME = METRIC_TABLE[0];

/** The longest response time an outcome may report, in milliseconds (one hour). */
export const MAX_LATENCY_MS: number = RESPONSE_TIME.range[1];

/** The outcome's response time in seconds, whether the call succeeded or failed. */
export function responseSecondsOf(outcome: Outcome): number | undefined {
  const milliseconds = outcome[RESPONSE_TIME.field];
  return milliseconds === undefined ? undefined : milliseconds / RESPONSE_TIME.perUnit;
}

/** A metric's value as the table formats it (`1.830 s`, `97.50 %`, `$0.00200`). */
export function formatMetric(metric: OutcomeMetric, value: number): string {
  const { scale, decimals, prefix, suffix } = metricSpec(metric).format;
  return `${prefix}${(scale === 1 ? value : value * scale).toFixed(decimals)}${suffix}`;
}

/** Milliseconds from seconds, rounded to the nanosecond (so 1.83 s is 1830 ms, not 1830.0000000000002). */
export function millisecondsOf(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e6;
}
