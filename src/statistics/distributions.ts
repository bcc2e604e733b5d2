import { createRequire } from 'node:module';

/** The functions of the `cephes` package flagroute calls (signatures as in its index.d.ts). */
interface Cephes {
  incbet(a: number, b: number, x: number): number;
  incbi(a: number, b: number, y: number): number;
  ndtr(a: number): number;
  ndtri(y0: number): number;
  chdtrc(df: number, x: number): number;
}
let loaded: Cephes | undefined;

/**
 * cephes' CommonJS entry compiles its WebAssembly synchronously (its ES module entry needs an
 * `await`); loaded on first use, so commands that compute no statistics do not pay for it.
 */
function cephes(): Cephes {
  loaded ??= createRequire(import.meta.url)('cephes') as Cephes;
  return loaded;
}

/**
 * The smallest tail probability reported as a number. Below it a double has no room (cephes
 * throws an underflow error past about 1e-308): a tail this small is reported as
 * `P_VALUE_FLOOR`, and read as "p < 1e-300".
 */
export const P_VALUE_FLOOR = 1e-300;

/**
 * Runs a cephes tail function; an underflow (the tail is below what a double holds) is the floor.
 * Any other cephes error is a caller's bug and is thrown.
 */
function tail(compute: () => number): number {
  try {
    return Math.max(P_VALUE_FLOOR, compute());
  } catch (error) {
    if (/underflow/.test((error as Error).message)) return P_VALUE_FLOOR;
    throw error;
  }
}

/**
 * The distributions flagroute's statistics need, from Cephes (the C library scipy's special
 * functions grew from), compiled to WebAssembly by the `cephes` package. jstat was used before:
 * its incomplete beta stops at a relative tolerance of 3e-7, which put Student's t p-values
 * 4.5e-5 (relative) away from scipy at 150,000 degrees of freedom.
 */

/**
 * Two-sided p-value of Student's t statistic `t` with `df` (real, > 0) degrees of freedom, at
 * least {@link P_VALUE_FLOOR}.
 */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return P_VALUE_FLOOR;
  // P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2): exact in both tails, no 1 - cdf cancellation.
  return tail(() => cephes().incbet(df / 2, 0.5, df / (df + t * t)));
}

/** The quantile of Student's t with `df` degrees of freedom at `1 - tail` (tail in (0, 0.5]). */
export function studentUpperQuantile(tailShare: number, df: number): number {
  const x = cephes().incbi(df / 2, 0.5, 2 * tailShare);
  return Math.sqrt((df * (1 - x)) / x);
}

/** The standard normal distribution function; exactly 0 or 1 beyond |z| = 40 (and at ±Infinity). */
export function normalCdf(z: number): number {
  if (z > 40) return 1;
  if (z < -40) return 0;
  return cephes().ndtr(z);
}

/** The standard normal quantile function (p in (0, 1)). */
export function normalQuantile(p: number): number {
  return cephes().ndtri(p);
}

/** P(X > x) for X chi-square with `df` degrees of freedom, at least {@link P_VALUE_FLOOR}. */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(x > 0)) return 1;
  if (x === Number.POSITIVE_INFINITY) return P_VALUE_FLOOR;
  return tail(() => cephes().chdtrc(df, x));
}

/** The quantile of the Beta(a, b) distribution at `p` (in (0, 1)). */
export function betaQuantile(a: number, b: number, p: number): number {
  return cephes().incbi(a, b, p);
}

/**
 * The upper bound of the two-sided Clopper-Pearson (exact binomial) interval for `k`
 * successes in `n` trials at `confidence`: for checking a simulated error rate.
 */
export function clopperPearsonUpper(k: number, n: number, confidence = 0.95): number {
  if (k >= n) return 1;
  return betaQuantile(k + 1, n - k, 1 - (1 - confidence) / 2);
}
