import { METRIC_TABLE, type MetricRow, metricValue, type OutcomeMetric } from '../metrics/index.js';
import type {
  ExposureEvent,
  OutcomeEvent,
  PreferenceWinner,
  ShadowOutcome,
} from '../outcomes/index.js';

/** The metrics a shadow call reports, in table order: every metric but satisfaction (no user saw it). */
export const PAIRED_METRICS = METRIC_TABLE.filter((row) => row.field !== 'satisfaction').map(
  (row) => row.name,
) as readonly Exclude<OutcomeMetric, 'satisfaction'>[];
/** A metric compared on pairs. */
export type PairedMetric = (typeof PAIRED_METRICS)[number];

const PAIRED_ROWS: readonly MetricRow[] = METRIC_TABLE.filter((row) =>
  (PAIRED_METRICS as readonly string[]).includes(row.name),
);

/**
 * One unit's pairs of one metric: how many queries had the metric on both sides, and the sums
 * of LightRAG's (the shadow's) and Perplexity's (the served) values, in the metric's unit.
 */
export interface PairSums {
  pairs: number;
  lightrag: number;
  perplexity: number;
}

/** One unit's judged pairs, by the judge's verdict. */
export type PreferenceCounts = Record<PreferenceWinner, number>;

/** Everything the paired analysis needs of one unit: per-metric sums and per-judge verdicts. */
export interface UnitPairs {
  metrics: Partial<Record<PairedMetric, PairSums>>;
  /** By judge's name (a map: a name is the caller's text, `__proto__` included). */
  judges: Map<string, PreferenceCounts>;
}

function sumsOf(unit: UnitPairs, metric: PairedMetric): PairSums {
  let sums = unit.metrics[metric];
  if (sums === undefined) {
    sums = { pairs: 0, lightrag: 0, perplexity: 0 };
    unit.metrics[metric] = sums;
  }
  return sums;
}

function countsOf(unit: UnitPairs, judge: string): PreferenceCounts {
  let counts = unit.judges.get(judge);
  if (counts === undefined) {
    counts = { lightrag: 0, perplexity: 0, tie: 0 };
    unit.judges.set(judge, counts);
  }
  return counts;
}

/** What the pairs cost, and how many there were, request by request (not a test). */
export interface PairTotals {
  /** Outcome records that carried a shadow result. */
  pairs: number;
  /** Of them, pairs without a unit: counted here, left out of the per-user analysis. */
  withoutUnit: number;
  /** Shadow calls that succeeded. */
  shadowSuccesses: number;
  /** The served cost of the paired queries, and how many reported it (USD). */
  servedCostUsd: number;
  servedCostReports: number;
  /** The shadow calls' cost, counted apart (USD), and how many reported it. */
  shadowCostUsd: number;
  shadowCostReports: number;
}

/** The state of a {@link PairedTally}: one entry per unit, and the totals. */
export interface PairedTallyState {
  units: Map<string, UnitPairs>;
  totals: PairTotals;
}

/**
 * Folds outcome records into per-unit sums of their shadow pairs: for each metric, a pair
 * counts when both the served value and the shadow's exist (a response time only when both
 * calls succeeded, as the metric table says); each judge's verdicts are counted per unit. A
 * record without a shadow result is not a pair and is ignored; exposures are not needed (a
 * pair is within one query, so a unit's arm does not enter the comparison). Memory grows
 * with the number of units.
 */
export class PairedTally {
  readonly units = new Map<string, UnitPairs>();
  /** Pairs of units beyond `maxUnits`: counted in the totals, not analysed. */
  unitsBeyondBound = 0;

  /** @param maxUnits - the most units kept (each a few hundred bytes); default unbounded. */
  constructor(private readonly maxUnits = Number.POSITIVE_INFINITY) {}

  readonly totals: PairTotals = {
    pairs: 0,
    withoutUnit: 0,
    shadowSuccesses: 0,
    servedCostUsd: 0,
    servedCostReports: 0,
    shadowCostUsd: 0,
    shadowCostReports: 0,
  };

  /** Adds one outcome record (a line of the event log, a row of the store). */
  add(event: OutcomeEvent): void {
    const { shadow } = event;
    if (shadow === undefined) return;
    this.count(event, shadow);
    if (event.unit === undefined) return;
    const unit = this.unitOf(event.unit);
    if (unit === null) return;
    for (const row of PAIRED_ROWS) {
      const served = metricValue(row, event);
      const shadowed = metricValue(row, shadow);
      if (served === undefined || shadowed === undefined) continue;
      if (row.successOnly && !(event.success && shadow.success)) continue;
      const sums = sumsOf(unit, row.name as PairedMetric);
      sums.pairs += 1;
      sums.lightrag += shadowed;
      sums.perplexity += served;
    }
    const { preference } = event;
    if (preference !== undefined) {
      countsOf(unit, preference.judge)[preference.winner] += 1;
    }
  }

  /** Exposures say nothing about pairs (see the class). */
  addExposure(_exposure: ExposureEvent): void {}

  /** Adds a unit's sums as a store summed them (PostgreSQL's `GROUP BY unit`). */
  addUnit(key: string, pairs: UnitPairs): void {
    const unit = this.unitOf(key);
    if (unit === null) return;
    for (const [metric, sums] of Object.entries(pairs.metrics) as [PairedMetric, PairSums][]) {
      const into = sumsOf(unit, metric);
      into.pairs += sums.pairs;
      into.lightrag += sums.lightrag;
      into.perplexity += sums.perplexity;
    }
    for (const [judge, counts] of pairs.judges) {
      const into = countsOf(unit, judge);
      into.lightrag += counts.lightrag;
      into.perplexity += counts.perplexity;
      into.tie += counts.tie;
    }
  }

  /** Adds totals counted elsewhere (a store's). */
  addTotals(totals: PairTotals): void {
    for (const key of Object.keys(totals) as (keyof PairTotals)[]) this.totals[key] += totals[key];
  }

  private count(event: OutcomeEvent, shadow: ShadowOutcome): void {
    const { totals } = this;
    totals.pairs += 1;
    if (event.unit === undefined) totals.withoutUnit += 1;
    if (shadow.success) totals.shadowSuccesses += 1;
    if (event.costUsd !== undefined) {
      totals.servedCostUsd += event.costUsd;
      totals.servedCostReports += 1;
    }
    if (shadow.costUsd !== undefined) {
      totals.shadowCostUsd += shadow.costUsd;
      totals.shadowCostReports += 1;
    }
  }

  private unitOf(key: string): UnitPairs | null {
    let unit = this.units.get(key);
    if (unit === undefined) {
      if (this.units.size >= this.maxUnits) {
        this.unitsBeyondBound += 1;
        return null;
      }
      unit = { metrics: {}, judges: new Map() };
      this.units.set(key, unit);
    }
    return unit;
  }
}
