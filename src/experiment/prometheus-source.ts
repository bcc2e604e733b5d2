import { type DurationBounds, durationText, parseDuration } from '../duration.js';
import { FlagrouteError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/index.js';
import { type ArmMoments, addMoments } from './arm-moments.js';
import { ARMS, type Arm, type ExperimentStats } from './experiment-data.js';
import { prometheusRequest } from './prometheus-request.js';

/** Options of {@link statsFromPrometheus}. */
export interface PrometheusSourceOptions {
  /**
   * A window such as `24h` or `30m` (from 1s to 365d, in the words of `parseDuration`): the
   * increase over it. Default: everything since start.
   */
  range?: string;
  /** The fetch to use (tests inject nothing; the default is the global fetch). */
  fetch?: typeof fetch;
  /** Time allowed per query, in milliseconds. Default 10 s. */
  timeoutMs?: number;
}

const SERIES = {
  n: 'flagroute_outcome_metric_count',
  sum: 'flagroute_outcome_metric_sum',
  sum_of_squares: 'flagroute_outcome_metric_sum_of_squares',
} as const;

/** The windows {@link PrometheusSourceOptions.range} may be: a second at least, a year at most. */
export const PROMETHEUS_RANGE_BOUNDS: DurationBounds = { min: 1_000, max: 365 * 86_400_000 };

/** One series of an instant (vector) or range (matrix) query. */
export interface Row {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

interface QueryResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: Row[] };
}

function failure(message: string, cause?: unknown): FlagrouteError {
  return new FlagrouteError('INVALID_DATA', message, { cause });
}

/** `text` as the base URL of a Prometheus server (http or https), or undefined when it is none. */
export function prometheusUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Request-level sufficient statistics of a whole fleet from Prometheus: the per-cohort series of
 * every `flagroute serve` instance summed (`sum by (cohort, metric, shift)`), each metric's
 * groups moved to one shift. The sums are exact since each instance started. Over a `range`, each instance's growth within the window is added up
 * from the raw samples (see {@link windowedMoments}): never extrapolated, so counts are whole
 * numbers and a rate never exceeds 100 %.
 */
export async function statsFromPrometheus(
  baseUrl: string,
  options: PrometheusSourceOptions = {},
): Promise<ExperimentStats> {
  const rangeMs =
    options.range === undefined
      ? undefined
      : parseDuration(options.range, PROMETHEUS_RANGE_BOUNDS, '--range');
  const base = prometheusUrl(baseUrl);
  if (base === undefined) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `--prometheus must be an http:// or https:// URL such as http://localhost:9090, got ${JSON.stringify(baseUrl)}`,
    );
  }
  const arms: ExperimentStats['arms'] = { lightrag: {}, perplexity: {} };
  const totals =
    rangeMs === undefined
      ? await totalMoments(base, options)
      : await windowedMoments(base, rangeMs, options);
  for (const [key, moments] of totals) {
    const [arm, metric] = key.split('\n') as [Arm, OutcomeMetric];
    if (!ARMS.includes(arm) || !OUTCOME_METRICS.includes(metric)) continue;
    const known = arms[arm][metric];
    arms[arm][metric] = known ? addMoments(known, moments) : moments;
  }
  return { unit: 'request', arms };
}

/**
 * The sums of one group of series (`cohort\nmetric` first in its key) around the shift its
 * `shift` label says (an instance older than the label: 0, raw sums).
 */
function around(shift: string | undefined, sums: [number, number, number]): ArmMoments {
  const moments: ArmMoments = { n: sums[0], sum: sums[1], sum_of_squares: sums[2] };
  const value = Number(shift ?? 0);
  if (Number.isFinite(value) && value !== 0) moments.shift = value;
  return moments;
}

/**
 * Moments by `cohort\nmetric\nshift`: the fleet's sums since each instance started, one group
 * per shift (instances of one version share it; the caller moves groups to one shift).
 */
async function totalMoments(
  base: URL,
  options: PrometheusSourceOptions,
): Promise<Map<string, ArmMoments>> {
  const groups = new Map<string, [number, number, number]>();
  for (const [index, series] of Object.values(SERIES).entries()) {
    const rows = await query(base, `sum by (cohort, metric, shift) (${series})`, 'vector', options);
    for (const row of rows) {
      const key = `${row.metric.cohort}\n${row.metric.metric}\n${row.metric.shift ?? ''}`;
      const sums = groups.get(key) ?? [0, 0, 0];
      sums[index] = Number(row.value?.[1]);
      groups.set(key, sums);
    }
  }
  const totals = new Map<string, ArmMoments>();
  for (const [key, sums] of groups) {
    const shift = key.split('\n')[2];
    totals.set(key, around(shift === '' ? undefined : shift, sums));
  }
  return totals;
}

/**
 * Moments by `cohort\nmetric` of the outcomes recorded within the last `rangeMs`. Per series (one
 * instance's cohort and metric), the growth is added up from its raw samples in the window,
 * starting from its value at the window's start (0 when it had none: it began inside the
 * window); a count that drops marks a restart, after which the series counts from 0 again.
 * Unlike `increase()`, nothing is extrapolated to the window's edges, and the three numbers of
 * a series are taken from the same scrapes, so `sum <= n` holds for the success rate.
 * Outcomes a restarted instance recorded after its last scrape before the restart are lost, as
 * with any Prometheus counter.
 */
async function windowedMoments(
  base: URL,
  rangeMs: number,
  options: PrometheusSourceOptions,
): Promise<Map<string, ArmMoments>> {
  const end = Date.now() / 1000;
  const start = end - rangeMs / 1000;
  // PromQL reads the same words for a duration.
  const range = durationText(rangeMs);
  const starting = new Map<string, number[]>();
  const samples = new Map<string, Map<number, number[]>>();
  const fields = Object.values(SERIES);
  for (const [index, series] of fields.entries()) {
    for (const row of await query(base, series, 'vector', options, start)) {
      const values = starting.get(seriesKey(row)) ?? [0, 0, 0];
      values[index] = Number(row.value?.[1]);
      starting.set(seriesKey(row), values);
    }
    for (const row of await query(base, `${series}[${range}]`, 'matrix', options, end)) {
      const byTime = samples.get(seriesKey(row)) ?? new Map<number, number[]>();
      for (const [time, value] of row.values ?? []) {
        const values = byTime.get(time) ?? [Number.NaN, Number.NaN, Number.NaN];
        values[index] = Number(value);
        byTime.set(time, values);
      }
      samples.set(seriesKey(row), byTime);
    }
  }
  const totals = new Map<string, ArmMoments>();
  for (const [key, byTime] of samples) {
    let previous = starting.get(key) ?? [0, 0, 0];
    const grown = [0, 0, 0];
    for (const time of [...byTime.keys()].sort((a, b) => a - b)) {
      const values = byTime.get(time)!;
      // A scrape that lacks one of the three numbers cannot be used for any of them.
      if (values.some(Number.isNaN)) continue;
      const restarted = values[0]! < previous[0]!;
      for (let field = 0; field < 3; field += 1) {
        grown[field]! += restarted ? values[field]! : values[field]! - previous[field]!;
      }
      previous = values;
    }
    const [cohort, metric, ...labels] = key.split('\n');
    const shift = labels.find((label) => label.startsWith('shift='))?.slice('shift='.length);
    const total = `${cohort}\n${metric}\n${shift ?? ''}`;
    const moments = totals.get(total) ?? around(shift, [0, 0, 0]);
    moments.n += grown[0]!;
    moments.sum += grown[1]!;
    moments.sum_of_squares += grown[2]!;
    totals.set(total, moments);
  }
  return totals;
}

/** `cohort\nmetric\n` followed by the series' other labels: one instance's series. */
function seriesKey(row: Row): string {
  const { __name__: _name, cohort, metric, ...others } = row.metric;
  const rest = Object.keys(others)
    .sort()
    .map((label) => `${label}=${others[label]}`);
  return [cohort, metric, ...rest].join('\n');
}

/** One PromQL query's result rows, of the type expected; a coded error naming the query. */
export async function query(
  base: URL,
  promql: string,
  resultType: 'vector' | 'matrix',
  options: PrometheusSourceOptions,
  time?: number,
): Promise<Row[]> {
  const params: Record<string, string> = { query: promql };
  if (time !== undefined) params.time = time.toFixed(3);
  const { url, headers } = prometheusRequest(base, '/api/v1/query', params);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw failure(
      `Prometheus at ${base.origin} cannot be reached: ${(error as Error).message}`,
      error,
    );
  }
  let body: QueryResponse;
  try {
    body = (await response.json()) as QueryResponse;
  } catch (error) {
    throw failure(
      `Prometheus at ${base.origin} answered ${response.status} with a body that is not JSON`,
      error,
    );
  }
  if (body.status !== 'success' || body.data?.resultType !== resultType) {
    throw failure(
      `Prometheus at ${base.origin} refused the query ${promql}: ${body.error ?? `status ${response.status}`}`,
    );
  }
  return body.data.result;
}
