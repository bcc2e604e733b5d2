/**
 * A sample as the tests read it: its size, mean and per-unit variance. Everything else (how
 * the sample was kept: power sums, ratios, Welford) is turned into this first.
 */
export interface SampleSummary {
  n: number;
  mean: number;
  /** Per-unit variance: the sample variance (n - 1), or the delta-method variance of a ratio. */
  variance: number;
}

/**
 * How many units in the last place a variance from power sums may be off by before it counts as
 * resolved. sum(x^2) - sum(x)^2 / n loses every digit the two terms share: for constant values
 * the difference is rounding alone (0.9 x 50 gives about 1e-15, not 0), which a t-test would
 * read as a perfectly precise, hugely significant difference. A centred sum this small against
 * the raw one is indistinguishable from 0, so it is 0.
 */
const RESOLUTION = 64 * Number.EPSILON;

/** The centred sum of squares sum((x - mean)^2) from power sums, 0 when below their resolution. */
export function centredSquares(n: number, sum: number, squares: number): number {
  const centred = squares - (sum * sum) / n;
  return centred > RESOLUTION * Math.max(1, Math.log2(n)) * squares ? centred : 0;
}

/**
 * A sample's summary from its count and first two power sums around `shift` (the sums are of
 * x - shift: the mean moves by it, the variance does not). Null with fewer than two values.
 */
export function summarizePowerSums(
  n: number,
  sum: number,
  squares: number,
  shift = 0,
): SampleSummary | null {
  if (!(n >= 2)) return null;
  return { n, mean: shift + sum / n, variance: centredSquares(n, sum, squares) / (n - 1) };
}

/** The power sums of a ratio metric over units: per unit i, m_i (numerator) and d_i (denominator). */
export interface RatioSums {
  /** Units with d_i > 0. */
  n: number;
  /** sum(m_i), sum(m_i^2). */
  sum: number;
  squares: number;
  /** sum(d_i), sum(d_i^2), sum(m_i d_i). */
  denominatorSum: number;
  denominatorSquares: number;
  crossSum: number;
}

/**
 * The summary of the ratio sum(m) / sum(d) over units, with gbstats' delta-method variance
 * (`variance_of_ratios`): var_m/mu_d^2 + var_d mu_m^2/mu_d^4 - 2 cov_md mu_m/mu_d^3 with sample
 * (n - 1) variances and covariance. It is computed in the equal form
 * sum((m_i - R d_i)^2) / (n - 1) / mu_d^2 with R = sum(m) / sum(d), whose rounding is bounded
 * by the sizes of its three terms: when the metric is the same constant in every request the
 * residuals are 0 in theory, and a remainder within that rounding is 0. With `shift` c the m_i
 * are sums of x - c (m_i - c d_i): the ratio moves by c, the residuals do not, and their terms
 * no longer carry c's square when c lies near the values.
 */
export function summarizeRatio(sums: RatioSums, shift = 0): SampleSummary | null {
  const { n } = sums;
  if (!(n >= 2) || !(sums.denominatorSum > 0)) return null;
  const ratio = sums.sum / sums.denominatorSum;
  const meanD = sums.denominatorSum / n;
  const cross = 2 * ratio * sums.crossSum;
  const far = ratio * ratio * sums.denominatorSquares;
  const residual = sums.squares - cross + far;
  const scale = sums.squares + Math.abs(cross) + far;
  const resolved = residual > RESOLUTION * Math.max(1, Math.log2(n)) * scale;
  return { n, mean: shift + ratio, variance: resolved ? residual / (n - 1) / meanD ** 2 : 0 };
}
