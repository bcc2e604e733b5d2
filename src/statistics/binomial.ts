import { betaQuantile } from './distributions.js';

/**
 * The two-sided Clopper-Pearson (exact binomial) interval of a proportion: `k` successes in `n`
 * trials at `confidence` (scipy's `binomtest(k, n).proportion_ci(method='exact')`). Null when
 * there are no trials.
 */
export function clopperPearsonInterval(
  k: number,
  n: number,
  confidence = 0.95,
): [number, number] | null {
  if (!(n >= 1) || k < 0 || k > n) return null;
  const tail = (1 - confidence) / 2;
  const lower = k === 0 ? 0 : betaQuantile(k, n - k + 1, tail);
  const upper = k === n ? 1 : betaQuantile(k + 1, n - k, 1 - tail);
  return [lower, upper];
}
