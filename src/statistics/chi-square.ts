import { chiSquareSurvival } from './distributions.js';

/** A chi-square goodness-of-fit test. */
export interface ChiSquareResult {
  statistic: number;
  /** Degrees of freedom: the categories with a positive expected share, less one. */
  dof: number;
  pValue: number;
}

/** Chi-square goodness of fit of observed counts against expected shares (summing to 1). */
export function chiSquare(
  observed: readonly number[],
  expectedShares: readonly number[],
): ChiSquareResult {
  const total = observed.reduce((sum, count) => sum + count, 0);
  let statistic = 0;
  let categories = 0;
  for (const [index, share] of expectedShares.entries()) {
    if (share <= 0) continue;
    categories += 1;
    const expected = share * total;
    statistic += (observed[index]! - expected) ** 2 / expected;
  }
  const dof = Math.max(0, categories - 1);
  const pValue = dof === 0 ? 1 : chiSquareSurvival(statistic, dof);
  return { statistic, dof, pValue };
}
