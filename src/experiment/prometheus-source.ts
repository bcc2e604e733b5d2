import { FlagrouteError } from '../errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../metrics/sufficient-stats.js';
import type { ArmMoments } from './arm-moments.js';
import { ARMS, type Arm, type ExperimentStats } from './experiment-data.js';

/** Options of {@link statsFromPrometheus}. */
export interface PrometheusSourceOptions {
  /** A window such as `24h` or `30m`: the increase over it. Default: everything since start. */
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

const RANGE = /^[1-9]\d*[smhdw]$/;

interface VectorResponse {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
}

function failure(message: string, cause?: unknown): FlagrouteError {
  return new FlagrouteError('INVALID_DATA', message, { cause });
}

/**
 * Request-level sufficient statistics of a whole fleet from Prometheus: the per-cohort series of
 * every `flagroute serve` instance summed (`sum by (cohort, metric)`). The sums are exact since
 * each instance started; over a `range`, `increase()` is used, which survives restarts but
 * extrapolates at the window's edges (so n may be fractional).
 */
export async function statsFromPrometheus(
  baseUrl: string,
  options: PrometheusSourceOptions = {},
): Promise<ExperimentStats> {
  if (options.range !== undefined && !RANGE.test(options.range)) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `--range must be a duration such as 24h, 30m or 7d, got ${JSON.stringify(options.range)}`,
    );
  }
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `--prometheus must be a URL such as http://localhost:9090, got ${JSON.stringify(baseUrl)}`,
    );
  }
  const arms: ExperimentStats['arms'] = { lightrag: {}, perplexity: {} };
  for (const [field, series] of Object.entries(SERIES) as [keyof typeof SERIES, string][]) {
    const selector = options.range ? `increase(${series}[${options.range}])` : series;
    const rows = await query(base, `sum by (cohort, metric) (${selector})`, options);
    for (const row of rows) {
      const arm = row.metric.cohort as Arm;
      const metric = row.metric.metric as OutcomeMetric;
      if (!ARMS.includes(arm) || !OUTCOME_METRICS.includes(metric)) continue;
      const moments: ArmMoments = arms[arm][metric] ?? { n: 0, sum: 0, sum_of_squares: 0 };
      moments[field] = Number(row.value[1]);
      arms[arm][metric] = moments;
    }
  }
  return { unit: 'request', arms };
}

async function query(base: URL, promql: string, options: PrometheusSourceOptions) {
  const url = new URL('/api/v1/query', base);
  url.searchParams.set('query', promql);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw failure(
      `Prometheus at ${base.origin} cannot be reached: ${(error as Error).message}`,
      error,
    );
  }
  let body: VectorResponse;
  try {
    body = (await response.json()) as VectorResponse;
  } catch (error) {
    throw failure(
      `Prometheus at ${base.origin} answered ${response.status} with a body that is not JSON`,
      error,
    );
  }
  if (body.status !== 'success' || body.data?.resultType !== 'vector') {
    throw failure(
      `Prometheus at ${base.origin} refused the query ${promql}: ${body.error ?? `status ${response.status}`}`,
    );
  }
  return body.data.result;
}
