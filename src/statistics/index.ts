/**
 * Statistics: the distributions (Student's t, normal, chi-square) from cephes, the one door to
 * them, and the chi-square goodness-of-fit test.
 *
 * @packageDocumentation
 */
export { type ChiSquareResult, chiSquare } from './chi-square.js';
export {
  chiSquareSurvival,
  normalCdf,
  normalQuantile,
  studentTwoSidedP,
  studentUpperQuantile,
} from './distributions.js';
