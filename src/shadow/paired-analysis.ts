import { InvalidArgumentError } from '../errors.js';
import { METRIC_DIRECTIONS, METRIC_LABELS, type MetricDirection } from '../metrics/index.js';
import { clopperPearsonInterval, oneSampleTest, type SampleSummary } from '../statistics/index.js';
import {
  PAIRED_METRICS,
  type PairedMetric,
  type PairedTallyState,
  type PairTotals,
  type PreferenceCounts,
} from './paired-tally.js';
import type {
  PairedMetricReport,
  PairedVerdict,
  PreferenceReport,
  ShadowCost,
  ShadowReport,
} from './shadow-report.js';

/** Options of {@link analyzePairs}; every one has a default. */
export interface PairedOptions {
  /** Two-sided level of every interval, in (0, 0.5). Default 0.05. */
  alpha?: number;
  /** Judge each metric from the always-valid interval rather than the fixed-horizon one. Default false. */
  sequential?: boolean;
  /** N* of the always-valid interval (units). Default 500. */
  sequentialTuning?: number;
}

interface Settings {
  alpha: number;
  sequential: boolean;
  sequentialTuning: number;
}

function pairedSettingsOf(options: PairedOptions): Settings {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5)) {
    throw new InvalidArgumentError('alpha', `must be above 0 and below 0.5, got ${alpha}`);
  }
  const sequentialTuning = options.sequentialTuning ?? 500;
  if (!(sequentialTuning >= 1)) {
    throw new InvalidArgumentError(
      'sequentialTuning',
      `must be 1 or more, got ${sequentialTuning}`,
    );
  }
  return { alpha, sequential: options.sequential ?? false, sequentialTuning };
}

/** Mean and sample variance of some values, in two passes (no cancellation). */
export function summaryOf(values: readonly number[]): SampleSummary {
  const n = values.length;
  let sum = 0;
  for (const value of values) sum += value;
  const mean = sum / n;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return { n, mean, variance: n > 1 ? squares / (n - 1) : 0 };
}

const mean = (values: readonly number[]) => (values.length === 0 ? null : summaryOf(values).mean);

function pairedVerdictOf(interval: [number, number], better: MetricDirection): PairedVerdict {
  const [low, high] = interval;
  if (low > 0) return better === 'higher' ? 'lightrag_better' : 'lightrag_worse';
  if (high < 0) return better === 'higher' ? 'lightrag_worse' : 'lightrag_better';
  return 'no_difference';
}

function reportPairedMetric(
  metric: PairedMetric,
  state: PairedTallyState,
  settings: Settings,
): PairedMetricReport {
  const lightrag: number[] = [];
  const perplexity: number[] = [];
  const differences: number[] = [];
  let pairs = 0;
  for (const unit of state.units.values()) {
    const sums = unit.metrics[metric];
    if (sums === undefined || sums.pairs === 0) continue;
    pairs += sums.pairs;
    const l = sums.lightrag / sums.pairs;
    const p = sums.perplexity / sums.pairs;
    lightrag.push(l);
    perplexity.push(p);
    differences.push(l - p);
  }
  const better = METRIC_DIRECTIONS[metric];
  const base: PairedMetricReport = {
    metric,
    label: METRIC_LABELS[metric],
    better,
    units: differences.length,
    pairs,
    lightrag_mean: mean(lightrag),
    perplexity_mean: mean(perplexity),
    difference: mean(differences),
    relative_difference: null,
    se: null,
    df: null,
    p_value: null,
    ci: null,
    sequential_ci: null,
    verdict: null,
    missing: null,
  };
  const baseline = base.perplexity_mean;
  if (base.difference !== null && baseline !== null && baseline !== 0) {
    base.relative_difference = base.difference / baseline;
  }
  if (differences.length === 0) return { ...base, missing: 'no_pairs' };
  if (differences.length < 2) return { ...base, missing: 'too_few_units' };
  const test = oneSampleTest(summaryOf(differences), settings.alpha, settings.sequentialTuning);
  if (test === null) return { ...base, missing: 'no_variation' };
  const judged = settings.sequential ? test.sequentialCi : test.ci;
  return {
    ...base,
    se: test.se,
    df: test.df,
    p_value: test.pValue,
    ci: test.ci,
    sequential_ci: test.sequentialCi,
    verdict: pairedVerdictOf(judged, better),
  };
}

function preferenceReport(judge: string, state: PairedTallyState, alpha: number): PreferenceReport {
  const judged: PreferenceCounts = { lightrag: 0, perplexity: 0, tie: 0 };
  const shares: number[] = [];
  let preferLightrag = 0;
  let preferPerplexity = 0;
  let neither = 0;
  for (const unit of state.units.values()) {
    const counts = unit.judges.get(judge);
    if (counts === undefined) continue;
    const total = counts.lightrag + counts.perplexity + counts.tie;
    if (total === 0) continue;
    judged.lightrag += counts.lightrag;
    judged.perplexity += counts.perplexity;
    judged.tie += counts.tie;
    shares.push((counts.lightrag + counts.tie / 2) / total);
    if (counts.lightrag > counts.perplexity) preferLightrag += 1;
    else if (counts.perplexity > counts.lightrag) preferPerplexity += 1;
    else neither += 1;
  }
  const preferring = preferLightrag + preferPerplexity;
  const summary = summaryOf(shares);
  // Against no preference (0.5); the always-valid interval is not used here, so N* is moot.
  const share =
    shares.length >= 2 ? oneSampleTest({ ...summary, mean: summary.mean - 0.5 }, alpha, 1) : null;
  return {
    judge,
    units: shares.length,
    judged,
    win_share: mean(shares),
    win_share_ci: share === null ? null : [share.ci[0] + 0.5, share.ci[1] + 0.5],
    win_share_p_value: share === null ? null : share.pValue,
    users_preferring_lightrag: preferLightrag,
    users_preferring_perplexity: preferPerplexity,
    users_without_preference: neither,
    win_rate: preferring === 0 ? null : preferLightrag / preferring,
    win_rate_ci: clopperPearsonInterval(preferLightrag, preferring, 1 - alpha),
  };
}

function costOf(totals: PairTotals): ShadowCost {
  const served =
    totals.servedCostReports === 0 ? null : totals.servedCostUsd / totals.servedCostReports;
  const shadow =
    totals.shadowCostReports === 0 ? null : totals.shadowCostUsd / totals.shadowCostReports;
  return {
    served_cost_usd: totals.servedCostUsd,
    served_cost_per_query: served,
    shadow_cost_usd: totals.shadowCostUsd,
    shadow_cost_per_query: shadow,
    shadow_to_served: served === null || shadow === null || served === 0 ? null : shadow / served,
  };
}

/**
 * The paired analysis of a tally's pairs at the unit of randomization (users): per metric, a
 * paired t-test on per-user means (each user's mean shadow value against their mean served
 * value, which is the one-sample test of the per-user mean differences), with a fixed-horizon
 * and an always-valid interval; per judge, the mean per-user win share (ties count half) and
 * the share of users preferring LightRAG with its exact binomial interval. Request-level
 * figures (pairs, cost) are totals, never tests.
 */
export function analyzePairs(
  state: PairedTallyState & { unitsBeyondBound?: number },
  options: PairedOptions = {},
): ShadowReport {
  const settings = pairedSettingsOf(options);
  const judges = new Set<string>();
  for (const unit of state.units.values())
    for (const judge of unit.judges.keys()) judges.add(judge);
  const { totals } = state;
  const notes: string[] = [];
  if (totals.withoutUnit > 0) {
    notes.push(
      `${totals.withoutUnit} of ${totals.pairs} pairs name no user and are left out of the per-user analysis`,
    );
  }
  if ((state.unitsBeyondBound ?? 0) > 0) {
    notes.push(
      `${state.unitsBeyondBound} pairs of users beyond the ${state.units.size} kept are counted, not analysed`,
    );
  }
  return {
    kind: 'shadow',
    unit: 'user',
    alpha: settings.alpha,
    sequential: settings.sequential,
    sequential_tuning: settings.sequentialTuning,
    pairs: totals.pairs,
    pairs_without_unit: totals.withoutUnit,
    units: state.units.size,
    shadow_success_rate: totals.pairs === 0 ? null : totals.shadowSuccesses / totals.pairs,
    cost: costOf(totals),
    metrics: PAIRED_METRICS.map((metric) => reportPairedMetric(metric, state, settings)),
    preferences: [...judges].sort().map((judge) => preferenceReport(judge, state, settings.alpha)),
    notes,
  };
}
