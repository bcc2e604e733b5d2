/**
 * Outcome figures: per backend and cohort, since start and over the recent window, and the
 * sufficient statistics of every outcome metric.
 *
 * @packageDocumentation
 */
export type { OutcomeSummary } from './outcome-stats.js';
export type { SeriesSummary } from './performance-tracker.js';
export { type Moments, OUTCOME_METRICS, type OutcomeMetric } from './sufficient-stats.js';
