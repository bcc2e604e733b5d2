import {
  LatencyHistogram,
  METRIC_TABLE,
  MetricMoments,
  meanOf,
  type Outcome,
} from '../metrics/index.js';

/** Summary of one series of outcomes, in the guide's names; times in seconds. */
export interface OutcomeSummary {
  success_count: number;
  error_count: number;
  success_rate: number | null;
  /** Over every reported response time, failed calls' too (the histogram's mean). */
  avg_response_time: number | null;
  median_response_time: number | null;
  p95_response_time: number | null;
  p99_response_time: number | null;
  avg_quality_score: number | null;
  avg_cost_usd: number | null;
  avg_satisfaction: number | null;
}

/**
 * One series of outcomes (a backend or a cohort, since start or in one time slice): the moments
 * of every metric and a histogram of every response time. Memory is fixed whatever the number
 * of outcomes.
 */
export class OutcomeStats {
  readonly moments = new MetricMoments();
  private readonly latency = new LatencyHistogram();

  /** Adds one outcome, its metric values read already (see `metricValues`). */
  add(outcome: Outcome, values: Float64Array): void {
    this.moments.addValues(values);
    if (outcome.latencyMs !== undefined) this.latency.add(outcome.latencyMs);
  }

  /** Adds another series' outcomes into this one. */
  merge(other: OutcomeStats): void {
    this.moments.merge(other.moments);
    this.latency.merge(other.latency);
  }

  reset(): void {
    this.moments.reset();
    this.latency.reset();
  }

  /** The response times' HDR bucket counts, by bucket index. */
  latencyCounts(): Float64Array {
    return this.latency.bucketCounts();
  }

  /** Bytes the histogram holds; constant for the life of the series. */
  get footprintBytes(): number {
    return this.latency.footprintBytes;
  }

  /**
   * The counts, then each metric's average under its summary key in the table; response times
   * from the histogram (every reported time, with percentiles), the others from the moments.
   */
  summary(): OutcomeSummary {
    const success = this.moments.of('success_rate');
    const summary: Partial<OutcomeSummary> = {
      success_count: success.sum,
      error_count: success.n - success.sum,
    };
    for (const row of METRIC_TABLE) {
      if (row.field === 'latencyMs') {
        summary[row.summaryKey] = this.latency.meanSeconds();
        summary.median_response_time = this.latency.percentileSeconds(50);
        summary.p95_response_time = this.latency.percentileSeconds(95);
        summary.p99_response_time = this.latency.percentileSeconds(99);
      } else {
        summary[row.summaryKey] = meanOf(this.moments.of(row.name));
      }
    }
    return summary as OutcomeSummary;
  }
}
