/**
 * Metrics: the one table of outcome metrics (name, field, unit, direction, label, format), the
 * outcome type it defines, and the accumulators over it (moments that merge, a latency
 * histogram). It imports only the error vocabulary, so every other part can name a metric.
 *
 * @packageDocumentation
 */
export { CentredMoments } from './centred-moments.js';
export {
  CovariateDesign,
  type CovariateGroup,
  grown,
  MAX_COVARIATE_COLUMNS,
  STRATUM_PREFIX,
} from './covariate-design.js';
export {
  CATEGORICAL_COVARIATES,
  type Covariates,
  covariatesOf,
  covariatesOfClaim,
  lengthBucket,
  MAX_COVARIATE_LENGTH,
  NUMERIC_COVARIATES,
} from './covariates.js';
export { LatencyHistogram } from './latency-histogram.js';
export {
  formatMetric,
  isOutcomeMetric,
  MAX_LATENCY_MS,
  METRIC_DIRECTIONS,
  METRIC_LABELS,
  METRIC_REFERENCES,
  METRIC_TABLE,
  type MetricDirection,
  type MetricField,
  type MetricFormat,
  type MetricRow,
  type MetricSpec,
  metricSpec,
  metricValue,
  metricValues,
  millisecondsOf,
  OUTCOME_METRICS,
  type Outcome,
  type OutcomeMetric,
  responseSecondsOf,
} from './metric-table.js';
export {
  MetricMoments,
  type Moments,
  meanOf,
  rebased,
  subtractMoments,
  varianceOf,
} from './moments.js';
export {
  bucketCountOf,
  bucketHighest,
  bucketIndex,
  bucketOfValue,
  isTailMetric,
  TAIL_METRICS,
  TAIL_SCALES,
  type TailMetric,
  type TailScale,
  valueOfBucket,
} from './value-buckets.js';
