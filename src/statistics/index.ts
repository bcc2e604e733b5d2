/**
 * Statistics: the distributions (Student's t, normal, chi-square) from cephes, the one door to
 * them.
 *
 * @packageDocumentation
 */
export {
  chiSquareSurvival,
  normalCdf,
  normalQuantile,
  studentTwoSidedP,
  studentUpperQuantile,
} from './distributions.js';
