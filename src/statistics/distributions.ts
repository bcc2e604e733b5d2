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
 * The distributions flagroute's statistics need, from Cephes (the C library scipy's special
 * functions grew from), compiled to WebAssembly by the `cephes` package. jstat was used before:
 * its incomplete beta stops at a relative tolerance of 3e-7, which put Student's t p-values
 * 4.5e-5 (relative) away from scipy at 150,000 degrees of freedom.
 */

/** Two-sided p-value of Student's t statistic `t` with `df` (real, > 0) degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  // P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2): exact in both tails, no 1 - cdf cancellation.
  return cephes().incbet(df / 2, 0.5, df / (df + t * t));
}

/** The quantile of Student's t with `df` degrees of freedom at `1 - tail` (tail in (0, 0.5]). */
export function studentUpperQuantile(tail: number, df: number): number {
  const x = cephes().incbi(df / 2, 0.5, 2 * tail);
  return Math.sqrt((df * (1 - x)) / x);
}

/** The standard normal distribution function. */
export function normalCdf(z: number): number {
  return cephes().ndtr(z);
}

/** The standard normal quantile function. */
export function normalQuantile(p: number): number {
  return cephes().ndtri(p);
}

/** P(X > x) for X chi-square with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return cephes().chdtrc(df, x);
}
