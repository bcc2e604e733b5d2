import { createRequire } from 'node:module';
import type * as hdr from 'hdr-histogram-js';

/** Latencies are kept in microseconds, from 1 µs to one hour, to 2 significant digits. */
const HIGHEST_LATENCY_US = 3_600_000_000;

/** One recorded outcome of a backend call. */
export interface OutcomeSample {
  success: boolean;
  /** Response time in seconds, when known. */
  latencySeconds?: number | undefined;
  /** Quality score in [0, 1]. */
  quality?: number | undefined;
  costUsd?: number | undefined;
  /** User satisfaction in [0, 1]. */
  satisfaction?: number | undefined;
}

/** Summary of one series of outcomes, in the guide's names; times in seconds. */
export interface OutcomeSummary {
  success_count: number;
  error_count: number;
  success_rate: number | null;
  avg_response_time: number | null;
  median_response_time: number | null;
  p95_response_time: number | null;
  p99_response_time: number | null;
  avg_quality_score: number | null;
  avg_cost_usd: number | null;
  avg_satisfaction: number | null;
}

let library: typeof hdr | undefined;

/**
 * A latency histogram; hdr-histogram-js is loaded with the first one, so that a command that
 * records no outcome (`flagroute decide`) starts without it.
 */
function newHistogram(): hdr.Histogram {
  library ??= createRequire(import.meta.url)('hdr-histogram-js') as typeof hdr;
  return library.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_LATENCY_US,
    numberOfSignificantValueDigits: 2,
  });
}

/**
 * Counters and a latency histogram for one series (a backend or a cohort). Memory is fixed
 * whatever the number of outcomes: sums, counts and an HDR histogram.
 */
export class OutcomeStats {
  private successes = 0;
  private errors = 0;
  /** Built on the first latency recorded. */
  private histogram: hdr.Histogram | null = null;

  private get latency(): hdr.Histogram {
    this.histogram ??= newHistogram();
    return this.histogram;
  }
  private qualitySum = 0;
  private qualityCount = 0;
  private costSum = 0;
  private costCount = 0;
  private satisfactionSum = 0;
  private satisfactionCount = 0;

  record(sample: OutcomeSample): void {
    if (sample.success) this.successes += 1;
    else this.errors += 1;
    if (sample.latencySeconds !== undefined) {
      const micros = Math.round(sample.latencySeconds * 1e6);
      this.latency.recordValue(Math.min(HIGHEST_LATENCY_US, Math.max(1, micros)));
    }
    if (sample.quality !== undefined) {
      this.qualitySum += sample.quality;
      this.qualityCount += 1;
    }
    if (sample.costUsd !== undefined) {
      this.costSum += sample.costUsd;
      this.costCount += 1;
    }
    if (sample.satisfaction !== undefined) {
      this.satisfactionSum += sample.satisfaction;
      this.satisfactionCount += 1;
    }
  }

  /** Adds another series' outcomes into this one. */
  add(other: OutcomeStats): void {
    this.successes += other.successes;
    this.errors += other.errors;
    if (other.histogram) this.latency.add(other.histogram);
    this.qualitySum += other.qualitySum;
    this.qualityCount += other.qualityCount;
    this.costSum += other.costSum;
    this.costCount += other.costCount;
    this.satisfactionSum += other.satisfactionSum;
    this.satisfactionCount += other.satisfactionCount;
  }

  reset(): void {
    this.successes = 0;
    this.errors = 0;
    this.histogram?.reset();
    this.qualitySum = 0;
    this.qualityCount = 0;
    this.costSum = 0;
    this.costCount = 0;
    this.satisfactionSum = 0;
    this.satisfactionCount = 0;
  }

  get total(): number {
    return this.successes + this.errors;
  }

  /** Bytes the histogram holds; constant for the life of the series. */
  get footprintBytes(): number {
    return this.latency.estimatedFootprintInBytes;
  }

  summary(): OutcomeSummary {
    const total = this.total;
    const histogram = this.histogram;
    const hasLatency = histogram !== null && histogram.totalCount > 0;
    const seconds = (percentile: number) =>
      hasLatency ? histogram.getValueAtPercentile(percentile) / 1e6 : null;
    return {
      success_count: this.successes,
      error_count: this.errors,
      success_rate: total === 0 ? null : this.successes / total,
      avg_response_time: hasLatency ? histogram.mean / 1e6 : null,
      median_response_time: seconds(50),
      p95_response_time: seconds(95),
      p99_response_time: seconds(99),
      avg_quality_score: this.qualityCount === 0 ? null : this.qualitySum / this.qualityCount,
      avg_cost_usd: this.costCount === 0 ? null : this.costSum / this.costCount,
      avg_satisfaction:
        this.satisfactionCount === 0 ? null : this.satisfactionSum / this.satisfactionCount,
    };
  }
}
