/**
 * The shadow duel: LightRAG answers a sample of real queries in the shadow while Perplexity's
 * answer is served, and the pairs are compared on the same query, per user (paired tests on
 * per-user means, judges' preferences), with the shadow's cost counted apart.
 *
 * @packageDocumentation
 */

export { LIVE_PAIR_UNITS, livePairs, type OutcomeEvents } from './live-pairs.js';
export { analyzePairs, type PairedOptions, summaryOf } from './paired-analysis.js';
export {
  PAIRED_METRICS,
  type PairedMetric,
  PairedTally,
  type PairedTallyState,
  type PairSums,
  type PairTotals,
  type PreferenceCounts,
  type UnitPairs,
} from './paired-tally.js';
export { type ReadPairs, readPairFiles } from './read-pairs.js';
export { renderShadowHtml, renderShadowText } from './render-shadow.js';
export {
  PAIRED_MISSING,
  type PairedMetricReport,
  type PairedMissing,
  type PairedVerdict,
  type PreferenceReport,
  type ShadowCost,
  type ShadowReport,
} from './shadow-report.js';
