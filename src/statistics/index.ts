/**
 * The statistics kernel, with no product words: the distributions (Student's t, normal,
 * chi-square from cephes, the one door to them, with an underflow floor), sample summaries
 * from power sums and ratios (with a cancellation guard), Welch's test, the relative
 * difference, the always-valid confidence sequence, Holm's correction and the chi-square
 * goodness-of-fit test.
 *
 * @packageDocumentation
 */
export { clopperPearsonInterval } from './binomial.js';
export { type ChiSquareResult, chiSquare, chiSquareIndependence } from './chi-square.js';
export {
  bucketAtRank,
  bucketCounts,
  type ClusteredBuckets,
  type ClusteredQuantile,
  clusteredQuantile,
  clusteredQuantiles,
  histogramQuantile,
  rankAtQuantile,
} from './clustered-quantile.js';
export {
  betaQuantile,
  chiSquareSurvival,
  clopperPearsonUpper,
  normalCdf,
  normalQuantile,
  P_VALUE_FLOOR,
  studentTwoSidedP,
  studentUpperQuantile,
} from './distributions.js';
export { holmAdjust } from './holm.js';
export { type OneSampleTest, oneSampleTest } from './one-sample.js';
export {
  detectionProbability,
  nonInferiorityProbability,
  smallestSampleSize,
  textbookSampleSize,
} from './power.js';
export {
  type AdjustedSummary,
  adjustRatio,
  type CovariateMoments,
  minimumNormSolve,
  pooledCovariateMeans,
  symmetricEigen,
} from './regression-adjustment.js';
export {
  centredSquares,
  type RatioSums,
  type SampleSummary,
  summarizePowerSums,
  summarizeRatio,
} from './sample-summary.js';
export { confidenceSequenceHalfWidth } from './sequential.js';
export {
  probabilityAboveZero,
  relativeDifference,
  type WelchTest,
  welchTest,
} from './welch.js';
