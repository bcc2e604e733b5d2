import type { OutcomeMetric } from './metric-table.js';

/**
 * The buckets of an HDR histogram with a lowest discernible value of 1 and two significant
 * digits (hdr-histogram-js's layout, as {@link LatencyHistogram} builds it): the integers below
 * 256 each a bucket of their own, then for every power of two 128 buckets of equal width, so a
 * bucket is never wider than 1/128 of its values. A value's bucket index depends on the value
 * alone, so counts per bucket add across processes, users and time, and a quantile read from
 * them is the one hdr-histogram-js reads (`getValueAtPercentile`: the highest value of the
 * bucket). Computed here rather than through hdr-histogram-js because a user-level test needs
 * each value's bucket beside its user, which the library's histograms do not keep.
 */
const SUB_BUCKET_HALF_MAGNITUDE = 7;
const SUB_BUCKET_HALF = 2 ** SUB_BUCKET_HALF_MAGNITUDE;

/** The bucket index of a whole number of units (1 .. 2^32 - 1; below 1 counts as 1). */
export function bucketIndex(units: number): number {
  const value = Math.max(1, units);
  const bitLength = 32 - Math.clz32(value);
  const bucket = Math.max(bitLength - (SUB_BUCKET_HALF_MAGNITUDE + 1), 0);
  // A shift is the division by 2^bucket rounded down for every value below 2^32 (clz32's range
  // already): a power and a division per value were a sixth of a report's tail work.
  return (bucket + 1) * SUB_BUCKET_HALF + (value >>> bucket) - SUB_BUCKET_HALF;
}

/** The highest whole number of units in the bucket at `index` (hdr's highest equivalent value). */
export function bucketHighest(index: number): number {
  const bucket = Math.max(Math.floor(index / SUB_BUCKET_HALF) - 1, 0);
  const sub = index - (bucket + 1) * SUB_BUCKET_HALF + SUB_BUCKET_HALF;
  return (sub + 1) * 2 ** bucket - 1;
}

/** How a heavy-tailed metric's values become histogram units. */
export interface TailScale {
  /** Histogram units per metric unit (10^6: microseconds per second, micro-dollars per dollar). */
  unitsPerValue: number;
  /** The largest value it tracks, in units (the metric's range). */
  highestUnits: number;
}

/**
 * The heavy-tailed metrics, which may be capped and whose quantiles are compared: response
 * time in microseconds (to one hour, as the latency histogram) and cost in micro-dollars (to
 * 1,000 USD, the outcome's range).
 */
export const TAIL_SCALES = {
  response_time: { unitsPerValue: 1e6, highestUnits: 3_600_000_000 },
  cost_per_query: { unitsPerValue: 1e6, highestUnits: 1_000_000_000 },
} as const satisfies Partial<Record<OutcomeMetric, TailScale>>;

/** A metric with a {@link TailScale}. */
export type TailMetric = keyof typeof TAIL_SCALES;

/** The metrics of {@link TAIL_SCALES}, in the table's order. */
export const TAIL_METRICS = Object.keys(TAIL_SCALES) as TailMetric[];

/** Whether `name` is a {@link TailMetric}. */
export function isTailMetric(name: unknown): name is TailMetric {
  return typeof name === 'string' && Object.hasOwn(TAIL_SCALES, name);
}

/** Buckets of a scale: enough for its highest value. */
export function bucketCountOf(scale: TailScale): number {
  return bucketIndex(scale.highestUnits) + 1;
}

/** The bucket of a metric value (seconds, dollars), rounded to whole units and clamped. */
export function bucketOfValue(value: number, scale: TailScale): number {
  const units = Math.round(value * scale.unitsPerValue);
  return bucketIndex(Math.min(scale.highestUnits, Math.max(1, units)));
}

/** The highest metric value (seconds, dollars) of a bucket. */
export function valueOfBucket(index: number, scale: TailScale): number {
  return bucketHighest(index) / scale.unitsPerValue;
}
