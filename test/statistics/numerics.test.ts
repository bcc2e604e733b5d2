import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chiSquare,
  clopperPearsonUpper,
  detectionProbability,
  nonInferiorityProbability,
  normalCdf,
  P_VALUE_FLOOR,
  studentTwoSidedP,
  summarizePowerSums,
  summarizeRatio,
  textbookSampleSize,
  welchTest,
} from '../../src/statistics/index.js';

/** Computed once with scipy/numpy by test/fixtures/statistics/numerics.py. */
const reference = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'statistics', 'numerics.json'), 'utf8'),
) as {
  srm_tail: { observed: number[]; chi_square: number; p_value: number; log10_p_value: number };
  t_tails: { t: number; df: number; p_value: number; 'below_1e-300': boolean }[];
  constant: {
    a: number;
    b: number;
    n: number;
    exact_variance_a: number;
    scipy_p_value_from_rounding: number;
  };
  ratio_constant: { value: number; requests_per_user: number[] };
  normal_far: { z: number; cdf: number }[];
  power: {
    textbook: { sd: number; delta: number; alpha: number; power: number; n: number }[];
    detection: { n: number; sd: number; delta: number; alpha: number; probability: number }[];
    non_inferiority: {
      n: number;
      cv: number;
      margin: number;
      alpha: number;
      probability: number;
    }[];
    clopper_pearson: { k: number; n: number; upper: number }[];
  };
};

const close = (actual: number, expected: number, tolerance = 1e-9) =>
  expect(Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300)).toBeLessThan(
    tolerance,
  );

describe('statistics kernel: tails and rounding', () => {
  it('a chi-square far beyond 1,425 is a p-value at the floor, not a crash (1 M users 52/48)', () => {
    const { observed, chi_square, log10_p_value } = reference.srm_tail;
    const fit = chiSquare(observed, [0.5, 0.5]);
    close(fit.statistic, chi_square);
    // scipy's own sf underflows to 0 here; its log says the tail is about 1e-349.
    expect(log10_p_value).toBeLessThan(-300);
    expect(fit.pValue).toBe(P_VALUE_FLOOR);
    for (const statistic of [1425, 1430, 1e4, 1e300, Number.POSITIVE_INFINITY]) {
      const p = chiSquare([statistic, 0], [0.5, 0.5]).pValue;
      expect(Number.isFinite(p) && p >= P_VALUE_FLOOR && p <= 1).toBe(true);
    }
  });

  it("Student's t p-values match scipy in the tail and stop at the floor below 1e-300", () => {
    for (const { t, df, p_value, 'below_1e-300': below } of reference.t_tails) {
      const p = studentTwoSidedP(t, df);
      if (below) expect(p).toBe(P_VALUE_FLOOR);
      else close(p, p_value, 1e-8);
    }
    expect(studentTwoSidedP(Number.POSITIVE_INFINITY, 10)).toBe(P_VALUE_FLOOR);
  });

  it('the normal distribution function is finite at any z, equal to scipy', () => {
    for (const { z, cdf } of reference.normal_far) {
      expect(Math.abs(normalCdf(z) - cdf)).toBeLessThan(1e-299);
    }
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
  });

  it('two constant samples have no variance, so no test, whatever the rounding (scipy gives one)', () => {
    const { a, b, n, exact_variance_a, scipy_p_value_from_rounding } = reference.constant;
    // In rationals the variance is 0; scipy's float sums leave a remainder and a "p-value".
    expect(exact_variance_a).toBe(0);
    expect(scipy_p_value_from_rounding).toBeLessThan(0.05);
    const sums = (x: number) => {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < n; i += 1) {
        sum += x;
        squares += x * x;
      }
      return summarizePowerSums(n, sum, squares)!;
    };
    expect(sums(a).variance).toBe(0);
    expect(sums(b).variance).toBe(0);
    expect(welchTest(sums(a), sums(b), 0.05)).toBeNull();
  });

  it('a constant value per request has no variance per user either (delta method)', () => {
    const { value, requests_per_user: perUser } = reference.ratio_constant;
    const sums = {
      n: 0,
      sum: 0,
      squares: 0,
      denominatorSum: 0,
      denominatorSquares: 0,
      crossSum: 0,
    };
    for (const d of perUser) {
      let m = 0;
      for (let i = 0; i < d; i += 1) m += value;
      sums.n += 1;
      sums.sum += m;
      sums.squares += m * m;
      sums.denominatorSum += d;
      sums.denominatorSquares += d * d;
      sums.crossSum += m * d;
    }
    const summary = summarizeRatio(sums)!;
    close(summary.mean, value, 1e-12);
    expect(summary.variance).toBe(0);
  });

  it('real variation well within the resolution is kept', () => {
    // 1.8 +/- 0.01: the centred sum is 3e-5 of the raw one, far above the rounding.
    const values = Array.from({ length: 100 }, (_, i) => 1.8 + (i % 2 === 0 ? 0.01 : -0.01));
    const sum = values.reduce((s, x) => s + x, 0);
    const squares = values.reduce((s, x) => s + x * x, 0);
    close(summarizePowerSums(100, sum, squares)!.variance, (0.01 ** 2 * 100) / 99, 1e-6);
  });
});

describe("statistics kernel: planning and the simulations' bound, against scipy", () => {
  it('the textbook n, the detection and non-inferiority probabilities, the Clopper-Pearson bound', () => {
    const { textbook, detection, non_inferiority, clopper_pearson } = reference.power;
    for (const { sd, delta, alpha, power, n } of textbook) {
      expect(textbookSampleSize(sd, delta, alpha, power)).toBe(n);
    }
    for (const { n, sd, delta, alpha, probability } of detection) {
      close(detectionProbability(n, sd, delta, alpha), probability, 1e-9);
    }
    for (const { n, cv, margin, alpha, probability } of non_inferiority) {
      close(nonInferiorityProbability(n, cv, margin, alpha), probability, 1e-9);
    }
    // scipy's binomtest(k, n).proportion_ci(method="exact"): the two-sided 95 % interval.
    for (const { k, n, upper } of clopper_pearson) close(clopperPearsonUpper(k, n), upper, 1e-9);
  });
});
