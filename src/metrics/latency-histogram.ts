import { createRequire } from 'node:module';
import type * as hdr from 'hdr-histogram-js';
import { MAX_LATENCY_MS } from './metric-table.js';

/**
 * Latencies are kept in microseconds, from 1 µs to the longest an outcome may report (one
 * hour), to 2 significant digits.
 */
const HIGHEST_LATENCY_US = MAX_LATENCY_MS * 1000;

let library: typeof hdr | undefined;

/**
 * Response times in an HDR histogram: fixed memory whatever the number of calls, percentiles to
 * two significant digits, and histograms add (another series, another time slice).
 * hdr-histogram-js is loaded with the first value recorded, so that a command that records no
 * outcome (`flagroute decide`) starts without it.
 */
export class LatencyHistogram {
  private histogram: hdr.Histogram | null = null;

  private get built(): hdr.Histogram {
    library ??= createRequire(import.meta.url)('hdr-histogram-js') as typeof hdr;
    this.histogram ??= library.build({
      bitBucketSize: 32,
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_LATENCY_US,
      numberOfSignificantValueDigits: 2,
    });
    return this.histogram;
  }

  /** Adds one response time in milliseconds (clamped to 1 µs .. 1 h). */
  add(milliseconds: number): void {
    const micros = Math.round(milliseconds * 1000);
    this.built.recordValue(Math.min(HIGHEST_LATENCY_US, Math.max(1, micros)));
  }

  /** Adds another histogram's values. */
  merge(other: LatencyHistogram): void {
    if (other.histogram) this.built.add(other.histogram);
  }

  reset(): void {
    this.histogram?.reset();
  }

  /** How many values it holds. */
  get count(): number {
    return this.histogram?.totalCount ?? 0;
  }

  /** The mean in seconds; null when empty. */
  meanSeconds(): number | null {
    return this.count === 0 ? null : this.histogram!.mean / 1e6;
  }

  /** A percentile (0..100) in seconds; null when empty. */
  percentileSeconds(percentile: number): number | null {
    return this.count === 0 ? null : this.histogram!.getValueAtPercentile(percentile) / 1e6;
  }

  /**
   * The count of every bucket, by bucket index (the layout of `value-buckets.ts`, which is this
   * histogram's: microseconds, two significant digits), for tests that need the buckets. Read
   * from the JavaScript histogram hdr-histogram-js builds by default, whose counts array the
   * library's typings do not show.
   */
  bucketCounts(): Float64Array {
    const histogram = this.built as unknown as {
      countsArrayLength: number;
      getCountAtIndex(index: number): number;
    };
    const counts = new Float64Array(histogram.countsArrayLength);
    if (this.count === 0) return counts;
    for (let index = 0; index < counts.length; index += 1)
      counts[index] = histogram.getCountAtIndex(index);
    return counts;
  }

  /** Bytes the histogram holds; constant for its life. */
  get footprintBytes(): number {
    return this.built.estimatedFootprintInBytes;
  }
}
