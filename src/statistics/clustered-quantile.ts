import { normalQuantile } from './distributions.js';

/**
 * One group's values as histogram buckets, each value belonging to a cluster: value j lies in
 * bucket `buckets[j]` (an index into an ordered set of buckets, 0 the lowest) and in cluster
 * `clusters[j]` (0 .. `clusterCount` - 1). Clusters are the independent units (users); the
 * values of one cluster may be correlated. With every value its own cluster this is a plain
 * sample.
 */
export interface ClusteredBuckets {
  clusterCount: number;
  clusters: Int32Array;
  buckets: Int32Array;
}

/** One group's quantile with its standard error (Woodruff), in the buckets' values. */
export interface ClusteredQuantile {
  /** The bucket the quantile falls in. */
  bucket: number;
  /** That bucket's value (as `bucketValue` gives it). */
  value: number;
  /** The share of values at or below the quantile's bucket. */
  share: number;
  /** The standard error of that share over clusters (delta method for a ratio). */
  shareStandardError: number;
  /** Woodruff's interval of the quantile at the level asked: the values at p -/+ z se. */
  lower: number;
  upper: number;
  /** (upper - lower) / (2 z): the quantile's standard error read off Woodruff's interval. */
  standardError: number;
  values: number;
  clusters: number;
}

const ulp = (x: number) => 2 ** (Math.floor(Math.log2(x)) - 52);

/**
 * The rank (1-based) of the value at quantile `p` (0..1) of `total` values, as HDR Histogram's
 * `getValueAtPercentile` counts it: p * total rounded up, allowing one ulp of floating-point
 * excess, and at least 1.
 */
export function rankAtQuantile(p: number, total: number): number {
  const exact = p * total;
  if (!(exact > 0)) return 1;
  return Math.max(Math.ceil(exact - ulp(exact)), 1);
}

/** The first bucket whose cumulative count reaches `rank` (counts indexed by bucket). */
export function bucketAtRank(counts: ArrayLike<number>, rank: number): number {
  let cumulative = 0;
  for (let bucket = 0; bucket < counts.length; bucket += 1) {
    cumulative += counts[bucket]!;
    if (cumulative >= rank) return bucket;
  }
  return counts.length - 1;
}

/** The values' counts per bucket (`size` buckets). */
export function bucketCounts(buckets: Int32Array, size: number): Float64Array {
  const counts = new Float64Array(size);
  for (const bucket of buckets) counts[bucket]! += 1;
  return counts;
}

/**
 * The quantile `p` of one group and its standard error at the cluster level, by Woodruff's
 * method (Woodruff 1952; Sitter and Wu 2001), as survey statistics does for clustered samples:
 * the share F of values at or below the quantile is a ratio over clusters (sum a_i / sum d_i,
 * a_i the cluster's values at or below it, d_i all its values), whose variance is the delta
 * method's, n sum (a_i - F d_i)^2 / ((n - 1) N^2); the interval of F, p -/+ z se, is carried
 * through the empirical distribution to values, and the quantile's standard error is that
 * interval's width over 2 z. No density is estimated, and a cluster's correlated values widen
 * the interval as much as they should. Null with fewer than two clusters.
 */
export function clusteredQuantile(
  group: ClusteredBuckets,
  p: number,
  alpha: number,
  bucketValue: (bucket: number) => number,
  size: number,
): ClusteredQuantile | null {
  return clusteredQuantiles(group, [p], alpha, bucketValue, size)[0]!;
}

/**
 * {@link clusteredQuantile} at several quantiles `ps` of one group, from one histogram of it and
 * one pass over its values for all of them (each cluster's values at or below each quantile
 * side by side): a histogram and a pass per quantile were most of a tail test over ten million
 * values. The same numbers, added in the same order, as one quantile at a time.
 */
export function clusteredQuantiles(
  group: ClusteredBuckets,
  ps: readonly number[],
  alpha: number,
  bucketValue: (bucket: number) => number,
  size: number,
): (ClusteredQuantile | null)[] {
  const total = group.buckets.length;
  const n = group.clusterCount;
  if (n < 2 || total === 0) return ps.map(() => null);
  const counts = bucketCounts(group.buckets, size);
  const found = ps.map((p) => bucketAtRank(counts, rankAtQuantile(p, total)));
  const width = ps.length;
  const below = new Float64Array(n * width);
  const all = new Float64Array(n);
  for (let j = 0; j < total; j += 1) {
    const cluster = group.clusters[j]!;
    const bucket = group.buckets[j]!;
    all[cluster]! += 1;
    for (let q = 0; q < width; q += 1) if (bucket <= found[q]!) below[cluster * width + q]! += 1;
  }
  return ps.map((p, q) => {
    let atOrBelow = 0;
    for (let i = 0; i < n; i += 1) atOrBelow += below[i * width + q]!;
    const share = atOrBelow / total;
    let squares = 0;
    for (let i = 0; i < n; i += 1) {
      const residual = below[i * width + q]! - share * all[i]!;
      squares += residual * residual;
    }
    const shareStandardError = Math.sqrt((n * squares) / ((n - 1) * total * total));
    return woodruff(
      counts,
      { bucket: found[q]!, share, shareStandardError, clusters: n },
      p,
      alpha,
      bucketValue,
    );
  });
}

/** Woodruff's interval of quantile `p` from the share's standard error, carried to values. */
function woodruff(
  counts: Float64Array,
  found: { bucket: number; share: number; shareStandardError: number; clusters: number },
  p: number,
  alpha: number,
  bucketValue: (bucket: number) => number,
): ClusteredQuantile {
  let total = 0;
  for (const count of counts) total += count;
  const z = normalQuantile(1 - alpha / 2);
  const at = (q: number) => bucketValue(bucketAtRank(counts, rankAtQuantile(q, total)));
  const lower = at(Math.max(p - z * found.shareStandardError, 0));
  const upper = at(Math.min(p + z * found.shareStandardError, 1));
  return {
    ...found,
    value: bucketValue(found.bucket),
    lower,
    upper,
    standardError: (upper - lower) / (2 * z),
    values: total,
  };
}

/**
 * The quantile `p` of a histogram's values with Woodruff's interval, every value its own
 * cluster (the share's variance F (1 - F) / (N - 1), the clustered formula with d_i = 1): for
 * request-level histograms, where correlated values of one unit are taken as independent and
 * the interval is too narrow when they are correlated. Null with fewer than two values.
 */
export function histogramQuantile(
  counts: Float64Array,
  p: number,
  alpha: number,
  bucketValue: (bucket: number) => number,
): ClusteredQuantile | null {
  let total = 0;
  for (const count of counts) total += count;
  if (total < 2) return null;
  const bucket = bucketAtRank(counts, rankAtQuantile(p, total));
  let atOrBelow = 0;
  for (let index = 0; index <= bucket; index += 1) atOrBelow += counts[index]!;
  const share = atOrBelow / total;
  const shareStandardError = Math.sqrt((share * (1 - share)) / (total - 1));
  return woodruff(
    counts,
    { bucket, share, shareStandardError, clusters: total },
    p,
    alpha,
    bucketValue,
  );
}
