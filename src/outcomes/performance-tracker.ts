import type { Clock } from '../clock.js';
import { BACKENDS, type Backend } from '../config/types.js';
import { COHORTS, type Cohort } from '../decision/types.js';
import {
  type Covariates,
  METRIC_TABLE,
  type Moments,
  metricValues,
  type Outcome,
  type OutcomeMetric,
} from '../metrics/index.js';
import { OutcomeStats, type OutcomeSummary } from './outcome-stats.js';
import { RequestCovariateSums } from './request-covariates.js';

const OUTCOME_METRIC_COUNT = METRIC_TABLE.length;

/** The recent window: this many slices of {@link SLICE_MS} each. */
export const WINDOW_SLICES = 5;
/** Length of one slice of the recent window. */
export const SLICE_MS = 60_000;

/** A series' figures since start and over the recent window. */
export type SeriesSummary = OutcomeSummary & { recent: OutcomeSummary };

/** One series: totals since start and a ring of time slices for the recent window. */
class Series {
  readonly sinceStart = new OutcomeStats();
  private readonly slices = Array.from({ length: WINDOW_SLICES }, () => new OutcomeStats());
  private readonly sliceStarts = new Array<number>(WINDOW_SLICES).fill(Number.NEGATIVE_INFINITY);

  add(outcome: Outcome, values: Float64Array, now: number): void {
    this.sinceStart.add(outcome, values);
    this.sliceFor(now).add(outcome, values);
  }

  summary(now: number): SeriesSummary {
    const recent = new OutcomeStats();
    const oldest = now - WINDOW_SLICES * SLICE_MS;
    this.slices.forEach((slice, index) => {
      if (this.sliceStarts[index]! > oldest) recent.merge(slice);
    });
    return { ...this.sinceStart.summary(), recent: recent.summary() };
  }

  get footprintBytes(): number {
    return this.slices.reduce(
      (sum, slice) => sum + slice.footprintBytes,
      this.sinceStart.footprintBytes,
    );
  }

  private sliceFor(now: number): OutcomeStats {
    const start = Math.floor(now / SLICE_MS) * SLICE_MS;
    const index = Math.floor(start / SLICE_MS) % WINDOW_SLICES;
    const slice = this.slices[index]!;
    if (this.sliceStarts[index] !== start) {
      slice.reset();
      this.sliceStarts[index] = start;
    }
    return slice;
  }
}

/**
 * Outcomes per backend and per cohort, since start and over the last
 * `WINDOW_SLICES * SLICE_MS` (five minutes). Memory is fixed whatever the traffic.
 */
export class PerformanceTracker {
  private readonly backends = new Map<Backend, Series>(
    BACKENDS.map((backend) => [backend, new Series()]),
  );
  private readonly cohorts = new Map<Cohort, Series>(
    COHORTS.map((cohort) => [cohort, new Series()]),
  );

  private readonly values = new Float64Array(OUTCOME_METRIC_COUNT);
  /** Both arms' request-level sums of metrics and covariates, since start. */
  readonly covariates = new RequestCovariateSums();

  constructor(private readonly clock: Clock) {}

  /**
   * Adds one outcome of `backend`, and of `cohort` when the decision assigned one; in an arm,
   * with what the decision knew of its query (`covariates`), to the request-level sums too.
   */
  add(backend: Backend, cohort: Cohort | null, outcome: Outcome, covariates?: Covariates): void {
    const now = this.clock.now();
    // Read once, added to four accumulators (the backend's and the cohort's, each twice).
    const values = metricValues(outcome, this.values);
    this.backends.get(backend)!.add(outcome, values, now);
    if (cohort !== null) this.cohorts.get(cohort)!.add(outcome, values, now);
    if (cohort === 'lightrag' || cohort === 'perplexity')
      this.covariates.add(cohort === 'lightrag' ? 0 : 1, values, covariates);
  }

  /** Sufficient statistics (n, sum, sum of squares) of every outcome metric per cohort, since start. */
  cohortMoments(): Record<Cohort, Record<OutcomeMetric, Moments>> {
    return Object.fromEntries(
      [...this.cohorts].map(([cohort, series]) => [cohort, series.sinceStart.moments.snapshot()]),
    ) as Record<Cohort, Record<OutcomeMetric, Moments>>;
  }

  /** Response times per cohort since start, as HDR bucket counts (every reported time). */
  cohortLatencyCounts(): Record<Cohort, Float64Array> {
    return Object.fromEntries(
      [...this.cohorts].map(([cohort, series]) => [cohort, series.sinceStart.latencyCounts()]),
    ) as Record<Cohort, Float64Array>;
  }

  /** Figures per backend and per cohort. */
  summary(): { backends: Record<Backend, SeriesSummary>; cohorts: Record<Cohort, SeriesSummary> } {
    const now = this.clock.now();
    return {
      backends: Object.fromEntries(
        [...this.backends].map(([backend, series]) => [backend, series.summary(now)]),
      ) as Record<Backend, SeriesSummary>,
      cohorts: Object.fromEntries(
        [...this.cohorts].map(([cohort, series]) => [cohort, series.summary(now)]),
      ) as Record<Cohort, SeriesSummary>,
    };
  }

  /** Bytes the tracker's histograms hold: fixed at construction, whatever is recorded. */
  get footprintBytes(): number {
    let total = 0;
    for (const series of [...this.backends.values(), ...this.cohorts.values()])
      total += series.footprintBytes;
    return total;
  }
}
