import { METRIC_TABLE, type MetricSpec } from '../metrics/index.js';
import type { ExposureEvent, StoredOutcome } from '../outcomes/index.js';

/** The outcome table's column of a metric's field: `latencyMs` -> `latency_ms`. */
export function columnOf(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

const METRIC_COLUMNS = METRIC_TABLE.map((row) => columnOf(row.field));
const NUMERIC = METRIC_TABLE.filter((row) => row.range !== null);

/**
 * One statement that writes a batch of outcomes (a pair's shadow result and preference in
 * their own JSON columns, the decision's covariates in theirs) and says which were new: the rows as arrays
 * (`unnest`: one parse and one round trip whatever the batch), `ON CONFLICT (decision_id) DO
 * NOTHING` (a decision takes one outcome fleet-wide), `RETURNING` the ids written.
 */
export const INSERT_OUTCOMES = `
  INSERT INTO flagroute.outcome_events
    (decision_id, environment, occurred_at, unit, cohort, backend, success,
     ${NUMERIC.map((row) => columnOf(row.field)).join(', ')}, config_version, instance_id,
     shadow, shadow_result, shadow_preference, query_type, length_bucket, complexity, region)
  SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                       $6::text[], $7::boolean[],
                       ${NUMERIC.map((_, index) => `$${8 + index}::float8[]`).join(', ')},
                       $${8 + NUMERIC.length}::text[], $${9 + NUMERIC.length}::text[],
                       $${10 + NUMERIC.length}::boolean[], $${11 + NUMERIC.length}::jsonb[],
                       $${12 + NUMERIC.length}::jsonb[], $${13 + NUMERIC.length}::text[],
                       $${14 + NUMERIC.length}::integer[], $${15 + NUMERIC.length}::float8[],
                       $${16 + NUMERIC.length}::text[])
  ON CONFLICT (decision_id) DO NOTHING
  RETURNING decision_id`;

/** The parameters of {@link INSERT_OUTCOMES} for a batch. */
export function outcomeParameters(
  rows: readonly StoredOutcome[],
  environment: string,
  instance: string,
): unknown[] {
  const column = <T>(pick: (row: StoredOutcome) => T) => rows.map(pick);
  return [
    column((row) => row.decisionId),
    column(() => environment),
    column((row) => row.event.time),
    column((row) => row.event.unit ?? null),
    column((row) => row.event.cohort),
    column((row) => row.event.backend),
    column((row) => row.event.success),
    ...NUMERIC.map((spec) =>
      column((row) => (row.event as Record<string, unknown>)[spec.field] ?? null),
    ),
    column((row) => row.event.configVersion ?? null),
    column(() => instance),
    // A pair stays in its row: the shadow's result and the judge's preference as JSON.
    column((row) => row.event.shadow !== undefined),
    column((row) => (row.event.shadow === undefined ? null : JSON.stringify(row.event.shadow))),
    column((row) =>
      row.event.preference === undefined ? null : JSON.stringify(row.event.preference),
    ),
    column((row) => row.event.covariates?.queryType ?? null),
    column((row) => row.event.covariates?.lengthBucket ?? null),
    column((row) => row.event.covariates?.complexity ?? null),
    column((row) => row.event.covariates?.region ?? null),
  ];
}

/** One statement that writes a batch of exposures, the first of each (period, unit, arm) staying. */
export const INSERT_EXPOSURES = `
  INSERT INTO flagroute.exposure_events
    (environment, period, unit, cohort, backend, percentage, exposed_at, config_version, instance_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::float8[], $7::timestamptz[], $8::text[], $9::text[])
  ON CONFLICT DO NOTHING`;

/** The parameters of {@link INSERT_EXPOSURES} for a batch. */
export function exposureParameters(
  rows: readonly ExposureEvent[],
  environment: string,
  instance: string,
): unknown[] {
  return [
    rows.map(() => environment),
    rows.map((row) => row.period),
    rows.map((row) => row.unit),
    rows.map((row) => row.cohort),
    rows.map((row) => row.backend),
    rows.map((row) => row.percentage),
    rows.map((row) => row.time),
    rows.map((row) => row.configVersion ?? null),
    rows.map(() => instance),
  ];
}

/** Where a metric expression reads a row's values: its columns, or a JSON column's fields. */
export interface RowValues {
  /** The SQL of a field's value, typed (`latency_ms`, `(shadow->>'latencyMs')::float8`). */
  field(spec: MetricSpec): string;
  /** The SQL of the call's success. */
  success: string;
}

/** The outcome table's own columns. */
const COLUMNS: RowValues = { field: (spec) => columnOf(spec.field), success: 'success' };

/**
 * A metric's value in SQL, as `metricValue` reads it from an event: a success-only metric is
 * null for a failure, a boolean is 1 or 0, a field in another unit is divided into the metric's.
 * `values` says where the row's values are (default: the table's columns).
 */
export function metricExpression(spec: MetricSpec, values: RowValues = COLUMNS): string {
  const column = values.field(spec);
  let value =
    spec.range === null
      ? `CASE WHEN ${column} THEN 1.0::float8 ELSE 0.0::float8 END`
      : spec.perUnit === 1
        ? column
        : `${column} / ${spec.perUnit}.0::float8`;
  if (spec.successOnly) value = `CASE WHEN ${values.success} THEN ${value} END`;
  return value;
}

/** Every metric's value in table order, as `v0`, `v1`, ... */
export const METRIC_VALUES = METRIC_TABLE.map(
  (spec, index) => `${metricExpression(spec)} AS v${index}`,
).join(',\n       ');

/** Checks that the table's fields are the outcome table's columns (a new metric needs one). */
export const OUTCOME_METRIC_COLUMNS: readonly string[] = METRIC_COLUMNS;
