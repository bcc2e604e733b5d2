import { normalCdf, normalQuantile } from './distributions.js';

/**
 * Units per arm for a two-sided test of a difference `delta` at level `alpha` with the given
 * power, by the normal approximation: n = 2 (z_{1-alpha/2} + z_{power})^2 sd^2 / delta^2.
 */
export function textbookSampleSize(
  sd: number,
  delta: number,
  alpha: number,
  power: number,
): number {
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.ceil(2 * ((z * sd) / Math.abs(delta)) ** 2);
}

/**
 * The probability that a two-sided test at `alpha` with `n` units per arm (equal spread `sd`)
 * finds a true difference `delta` significant in its own direction: Phi(|delta| / se - z).
 */
export function detectionProbability(n: number, sd: number, delta: number, alpha: number): number {
  const se = sd * Math.sqrt(2 / n);
  return normalCdf(Math.abs(delta) / se - normalQuantile(1 - alpha / 2));
}

/**
 * The probability that a non-inferiority check passes when there is no true difference: the
 * bad-side bound of the (1 - alpha) interval of the relative difference, which has standard
 * error cv sqrt(2 / n) for a coefficient of variation `cv` per unit, lies within `margin`:
 * Phi(margin / se - z_{1-alpha/2}).
 */
export function nonInferiorityProbability(
  n: number,
  cv: number,
  margin: number,
  alpha: number,
): number {
  const se = cv * Math.sqrt(2 / n);
  if (!(se > 0)) return 1;
  return normalCdf(margin / se - normalQuantile(1 - alpha / 2));
}

/**
 * The smallest n (at least `floor`) at which `probability(n)`, increasing in n, reaches
 * `target`: doubling, then bisection. At most 1e9.
 */
export function smallestSampleSize(
  probability: (n: number) => number,
  target: number,
  floor: number,
): number {
  let low = Math.max(2, Math.ceil(floor));
  if (probability(low) >= target) return low;
  let high = low * 2;
  while (probability(high) < target) {
    low = high;
    high *= 2;
    if (high > 1e9) return Number.POSITIVE_INFINITY;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (probability(middle) >= target) high = middle;
    else low = middle;
  }
  return high;
}
