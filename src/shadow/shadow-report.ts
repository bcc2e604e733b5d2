import type { MetricDirection } from '../metrics/index.js';
import type { PairedMetric, PreferenceCounts } from './paired-tally.js';

/** Why a paired metric has no test. */
export const PAIRED_MISSING = ['no_pairs', 'too_few_units', 'no_variation'] as const;
/** Why a paired metric has no test, from {@link PAIRED_MISSING}. */
export type PairedMissing = (typeof PAIRED_MISSING)[number];

/** What the pairs say of LightRAG on one metric: better, worse, or no difference shown. */
export type PairedVerdict = 'lightrag_better' | 'lightrag_worse' | 'no_difference';

/**
 * One metric compared on the same queries, per user: each user's mean paired difference
 * (LightRAG's shadow value less Perplexity's served value) is one unit.
 */
export interface PairedMetricReport {
  metric: PairedMetric;
  label: string;
  better: MetricDirection;
  /** Users with at least one pair of this metric. */
  units: number;
  /** Pairs of this metric across those users (request level: not the test's n). */
  pairs: number;
  /** The mean over users of each user's LightRAG mean, and of their Perplexity mean. */
  lightrag_mean: number | null;
  perplexity_mean: number | null;
  /** The mean per-user difference, LightRAG minus Perplexity. */
  difference: number | null;
  /** The difference relative to Perplexity's mean. */
  relative_difference: number | null;
  se: number | null;
  df: number | null;
  /** Two-sided, of a mean difference of 0 (the paired t-test on per-user means). */
  p_value: number | null;
  /** The (1 - alpha) fixed-horizon interval of the difference. */
  ci: [number, number] | null;
  /** The (1 - alpha) always-valid interval (valid however often it is looked at). */
  sequential_ci: [number, number] | null;
  verdict: PairedVerdict | null;
  missing: PairedMissing | null;
}

/** One judge's preferences, per user. */
export interface PreferenceReport {
  judge: string;
  /** Users with at least one judged pair. */
  units: number;
  /** Judged pairs, by verdict (request level). */
  judged: PreferenceCounts;
  /**
   * The mean over users of each user's LightRAG win share, a tie counting half a win
   * (0.5: no preference), with its t-interval and the p-value against 0.5.
   */
  win_share: number | null;
  win_share_ci: [number, number] | null;
  win_share_p_value: number | null;
  /** Users whose judged pairs favour LightRAG (more wins than losses), Perplexity, or neither. */
  users_preferring_lightrag: number;
  users_preferring_perplexity: number;
  users_without_preference: number;
  /**
   * The share of users with a preference who prefer LightRAG (users without one left out),
   * with its exact binomial (Clopper-Pearson) interval.
   */
  win_rate: number | null;
  win_rate_ci: [number, number] | null;
}

/** The shadow's cost, apart from the served cost (request level, totals as reported). */
export interface ShadowCost {
  served_cost_usd: number;
  served_cost_per_query: number | null;
  shadow_cost_usd: number;
  shadow_cost_per_query: number | null;
  /** The shadow's cost per query against the served one's (1 = shadowing doubles the cost). */
  shadow_to_served: number | null;
}

/** The paired comparison of LightRAG's shadow calls with Perplexity's served answers. */
export interface ShadowReport {
  kind: 'shadow';
  /** The unit of analysis: each user is one unit. */
  unit: 'user';
  alpha: number;
  sequential: boolean;
  sequential_tuning: number;
  pairs: number;
  /** Pairs without a user: counted, not analysed. */
  pairs_without_unit: number;
  units: number;
  shadow_success_rate: number | null;
  cost: ShadowCost;
  metrics: PairedMetricReport[];
  preferences: PreferenceReport[];
  notes: string[];
}
