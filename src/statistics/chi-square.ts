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

/**
 * Chi-square test of independence of a table of counts (rows against columns, no continuity
 * correction, as scipy's `chi2_contingency(correction=False)`). Rows or columns that are all 0
 * are left out of the degrees of freedom.
 */
export function chiSquareIndependence(table: readonly (readonly number[])[]): ChiSquareResult {
  const rows = table.map((row) => row.reduce((sum, count) => sum + count, 0));
  const columns = table[0]!.map((_, column) => table.reduce((sum, row) => sum + row[column]!, 0));
  const total = rows.reduce((sum, count) => sum + count, 0);
  let statistic = 0;
  for (const [r, row] of table.entries()) {
    for (const [c, count] of row.entries()) {
      const expected = (rows[r]! * columns[c]!) / total;
      if (expected > 0) statistic += (count - expected) ** 2 / expected;
    }
  }
  const dof = Math.max(
    0,
    (rows.filter((n) => n > 0).length - 1) * (columns.filter((n) => n > 0).length - 1),
  );
  return { statistic, dof, pValue: dof === 0 ? 1 : chiSquareSurvival(statistic, dof) };
}
