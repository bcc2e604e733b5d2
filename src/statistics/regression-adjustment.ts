import type { SampleSummary } from './sample-summary.js';

/**
 * Sums and cross-products of per-unit vectors v_i = (m_i, d_i, c_i, s_i1 .. s_ik) over one
 * sample: m_i and d_i the unit's outcome sum and count (the ratio metric sum(m) / sum(d)),
 * c_i the count its covariates were taken over and s_ij the sum of covariate j over them (the
 * covariate ratio sum(s_j) / sum(c)). At the request unit every request is a unit with
 * d_i = c_i = 1. Both fields add over disjoint units (instances, threads, time), so sources sum
 * them as they sum moments.
 */
export interface CovariateMoments {
  /** Units in the sample. */
  n: number;
  /** sum(v_i): 3 + k numbers. */
  sums: number[];
  /** sum(v_i v_i'), row-major: (3 + k)^2 numbers. */
  products: number[];
}

/** A sample's summary before and after regression adjustment on its covariates. */
export interface AdjustedSummary {
  /** The ratio, its delta-method variance per unit: what the unadjusted test reads. */
  raw: SampleSummary;
  /** The ratio less the part its covariates' chance imbalance explains, and its variance. */
  adjusted: SampleSummary;
  /** The slope of the outcome on each covariate used (0 for one left out). */
  slopes: number[];
  /** Covariate columns that carried information (the rank of their cross-products). */
  rank: number;
}

/** Eigenvalues below this share of the largest are no information (rounding, collinearity). */
const RANK_TOLERANCE = 1e-10;

/** The covariate means sum(s_j) / sum(c) of two samples pooled: what both arms are adjusted to. */
export function pooledCovariateMeans(a: CovariateMoments, b: CovariateMoments): number[] {
  const count = a.sums[2]! + b.sums[2]!;
  return a.sums.slice(3).map((sum, j) => (count > 0 ? (sum + b.sums[3 + j]!) / count : 0));
}

/**
 * Regression adjustment of a ratio metric on covariate ratios (CUPED with the delta method, in
 * the form of Deng et al. 2018; with d = c = 1 it is ordinary least squares with an intercept):
 * the unit's linearised outcome r_i = m_i - R d_i (R = sum(m) / sum(d)) is regressed on its
 * linearised covariates u_ij = s_ij - X_j c_i (X_j = sum(s_j) / sum(c)), without an intercept
 * (both have mean 0). With theta the least-squares slopes (minimum norm where the covariates are
 * collinear, as numpy's lstsq), the adjusted ratio is R - (sum(c) / sum(d)) theta'(X - pooled),
 * which moves each arm to the covariate means of both arms pooled. Its per-unit variance is
 * s^2 / mean(d)^2 (1 + sum(c)^2 g'(U'U)^+ g / n), s^2 = sum((r - theta'u)^2) / (n - 1 - rank)
 * and g = X - pooled: the residuals' variance and the slopes' own error, as ordinary least
 * squares gives a prediction's (the raw one is sum(r^2) / (n - 1) / mean(d)^2). `columns` picks the covariates to use (default all); `shift` is added to both means
 * (the m_i are sums of x - shift). Null with too few units for the slopes and a variance.
 */
export function adjustRatio(
  sample: CovariateMoments,
  pooled: readonly number[],
  options: { columns?: readonly number[]; shift?: number } = {},
): AdjustedSummary | null {
  const { n, sums } = sample;
  const k = sums.length - 3;
  const columns = options.columns ?? Array.from({ length: k }, (_, j) => j);
  if (!(n >= 2) || !(sums[1]! > 0)) return null;
  const ratio = sums[0]! / sums[1]!;
  const means = columns.map((j) => (sums[2]! > 0 ? sums[3 + j]! / sums[2]! : 0));
  // Each linearised quantity as a combination of v: r = a'v, u_j = b_j'v.
  const size = sums.length;
  const a = new Array<number>(size).fill(0);
  a[0] = 1;
  a[1] = -ratio;
  const b = columns.map((j, at) => {
    const row = new Array<number>(size).fill(0);
    row[2] = -means[at]!;
    row[3 + j] = 1;
    return row;
  });
  const gram = (x: number[], y: number[]) => quadratic(sample.products, x, y, size);
  const rr = Math.max(0, gram(a, a));
  const ru = b.map((row) => gram(row, a));
  const uu = b.map((row) => b.map((other) => gram(row, other)));
  const { solution: theta, rank } = minimumNormSolve(uu, ru);
  const gap = columns.map((j, at) => means[at]! - pooled[j]!);
  // The slopes' own error moves the adjusted ratio by (sum c / sum d) (theta - theta*)'gap.
  const leverage = minimumNormSolve(uu, gap).solution.reduce((t, x, at) => t + x * gap[at]!, 0);
  const explained = theta.reduce((total, value, at) => total + value * ru[at]!, 0);
  const residual = Math.max(0, rr - explained);
  if (!(n - 1 - rank >= 1)) return null;
  const meanD = sums[1]! / n;
  const shift = options.shift ?? 0;
  const imbalance = theta.reduce((total, value, at) => total + value * gap[at]!, 0);
  const slopes = new Array<number>(k).fill(0);
  for (const [at, j] of columns.entries()) slopes[j] = theta[at]!;
  return {
    raw: { n, mean: shift + ratio, variance: rr / (n - 1) / meanD ** 2 },
    adjusted: {
      n,
      mean: shift + ratio - (sums[2]! / sums[1]!) * imbalance,
      variance: (residual / (n - 1 - rank) / meanD ** 2) * (1 + (sums[2]! ** 2 * leverage) / n),
    },
    slopes,
    rank,
  };
}

/** x' P y for the row-major square matrix P of side `size`. */
function quadratic(products: readonly number[], x: number[], y: number[], size: number): number {
  let total = 0;
  for (let row = 0; row < size; row += 1) {
    if (x[row] === 0) continue;
    let inner = 0;
    for (let column = 0; column < size; column += 1)
      inner += products[row * size + column]! * y[column]!;
    total += x[row]! * inner;
  }
  return total;
}

/**
 * The minimum-norm solution of A theta = y for a symmetric positive semi-definite A (the
 * normal equations), through its eigen-decomposition: directions whose eigenvalue is below
 * {@link RANK_TOLERANCE} of the largest carry no information and get no weight.
 */
export function minimumNormSolve(
  matrix: number[][],
  right: number[],
): { solution: number[]; rank: number } {
  const k = right.length;
  if (k === 0) return { solution: [], rank: 0 };
  const { values, vectors } = symmetricEigen(matrix);
  const largest = Math.max(...values.map(Math.abs));
  const solution = new Array<number>(k).fill(0);
  let rank = 0;
  for (let e = 0; e < k; e += 1) {
    if (!(largest > 0) || values[e]! <= RANK_TOLERANCE * largest) continue;
    rank += 1;
    let projection = 0;
    for (let i = 0; i < k; i += 1) projection += vectors[i]![e]! * right[i]!;
    for (let i = 0; i < k; i += 1) solution[i]! += (vectors[i]![e]! * projection) / values[e]!;
  }
  return { solution, rank };
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`) of a small symmetric matrix by cyclic
 * Jacobi rotations: exact to rounding for the dozen or two covariate columns of a design.
 */
export function symmetricEigen(matrix: number[][]): { values: number[]; vectors: number[][] } {
  const k = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j): number => (i === j ? 1 : 0)),
  );
  // Jacobi converges quadratically: a few sweeps leave the off-diagonal at rounding.
  for (let sweep = 0; sweep < 50; sweep += 1) {
    let off = 0;
    for (let p = 0; p < k; p += 1) for (let q = p + 1; q < k; q += 1) off += a[p]![q]! ** 2;
    if (off <= 1e-26 * frobenius(a)) break;
    for (let p = 0; p < k; p += 1) {
      for (let q = p + 1; q < k; q += 1) {
        if (a[p]![q] === 0) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r += 1) rotate(a[r]!, p, q, c, s);
        const [rowP, rowQ] = [a[p]!, a[q]!];
        for (let r = 0; r < k; r += 1) {
          const apr = rowP[r]!;
          const aqr = rowQ[r]!;
          rowP[r] = c * apr - s * aqr;
          rowQ[r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r += 1) rotate(v[r]!, p, q, c, s);
      }
    }
  }
  return { values: a.map((row, i) => row[i]!), vectors: v };
}

/** Entries p and q of a row turned by the rotation (c, s). */
function rotate(row: number[], p: number, q: number, c: number, s: number): void {
  const x = row[p]!;
  const y = row[q]!;
  row[p] = c * x - s * y;
  row[q] = s * x + c * y;
}

function frobenius(a: number[][]): number {
  let total = 0;
  for (const row of a) for (const value of row) total += value * value;
  return total;
}
