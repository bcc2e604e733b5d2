import { BACKENDS } from '../config/types.js';
import { REASONS } from '../decision/types.js';
import type { ExperimentReport, MetricReport } from '../experiment/index.js';
import { METRIC_TABLE, type MetricRow } from '../metrics/index.js';
import type { OutcomeSummary } from '../outcomes/index.js';
import type { PerformanceSummary } from '../router/performance-summary.js';
import type {
  BackendRow,
  ChartView,
  ExperimentPanel,
  ExperimentRow,
  IntervalBar,
  MetricColumn,
} from './page/view-model.js';
import { countText, figure, formatWith, signedPercent } from './view-text.js';

const BACKEND_LABELS = { lightrag: 'LightRAG', perplexity: 'Perplexity' } as const;
const RESPONSE_TIME = METRIC_TABLE.find((row) => row.name === 'response_time')!;

/** The metric table's columns: each metric's name, label and the summary field of its average. */
export const METRIC_COLUMNS: readonly MetricColumn[] = METRIC_TABLE.map((row) => ({
  name: row.name,
  label: row.label,
  summaryKey: row.summaryKey,
}));

const average = (series: OutcomeSummary, row: MetricRow) =>
  (series as unknown as Record<string, number | null>)[row.summaryKey] ?? null;

/** Each backend's figures since start, the averages in metric table order. */
export function backendRows(summary: PerformanceSummary): BackendRow[] {
  const latency = (field: keyof OutcomeSummary, value: number | null) =>
    figure(field, value, formatWith(RESPONSE_TIME.format, value));
  return BACKENDS.map((backend) => {
    const series = summary.performance[backend];
    return {
      backend,
      label: BACKEND_LABELS[backend],
      successes: figure('success_count', series.success_count, countText(series.success_count)),
      errors: figure('error_count', series.error_count, countText(series.error_count)),
      p50: latency('median_response_time', series.median_response_time),
      p95: latency('p95_response_time', series.p95_response_time),
      p99: latency('p99_response_time', series.p99_response_time),
      averages: METRIC_TABLE.map((row) =>
        figure(row.summaryKey, average(series, row), formatWith(row.format, average(series, row))),
      ),
    };
  });
}

function liftBar(metric: MetricReport): IntervalBar | null {
  if (!metric.relative_ci || metric.relative === null) return null;
  const [low, high] = metric.relative_ci;
  const better = metric.better === 'higher' ? low > 0 : high < 0;
  const worse = metric.better === 'higher' ? high < 0 : low > 0;
  return {
    low,
    high,
    relative: metric.relative,
    verdict: better ? 'better' : worse ? 'worse' : 'unclear',
    description: `lift ${signedPercent(metric.relative)}, interval ${signedPercent(low)} to ${signedPercent(high)}`,
  };
}

function experimentRow(row: MetricRow, metric: MetricReport): ExperimentRow {
  const mean = (arm: 0 | 1, field: string) =>
    figure(
      field,
      metric.mean[arm],
      `${formatWith(row.format, metric.mean[arm])} (n ${metric.n[arm]})`,
    );
  const p = metric.p_value_holm;
  return {
    metric: row.name,
    label: row.label,
    primary: metric.role === 'primary',
    lightrag: mean(0, 'mean_lightrag'),
    perplexity: mean(1, 'mean_perplexity'),
    lift: figure(
      'relative',
      metric.relative,
      metric.relative === null || !metric.relative_ci
        ? '–'
        : `${signedPercent(metric.relative)} [${signedPercent(metric.relative_ci[0])}, ${signedPercent(metric.relative_ci[1])}]`,
    ),
    bar: liftBar(metric),
    pValue: figure('p_value_holm', p, p === null ? '–' : p < 0.0001 ? '< 0.0001' : p.toFixed(4)),
    chanceToWin: figure(
      'chance_to_win',
      metric.chance_to_win,
      metric.chance_to_win === null ? '–' : `${(metric.chance_to_win * 100).toFixed(1)} %`,
    ),
  };
}

/** The experiment on this instance's live outcomes, metrics in table order. */
export function experimentPanel(report: ExperimentReport): ExperimentPanel {
  const srm = report.srm;
  return {
    srm: srm.mismatch
      ? `Sample-ratio mismatch (p = ${srm.p_value?.toPrecision(3) ?? '–'}): the split is not the configured one; no comparison can be trusted.`
      : null,
    verdict: report.verdict,
    winner: report.winner,
    rows: METRIC_TABLE.map((row) => experimentRow(row, report.metrics[row.name])),
  };
}

/**
 * The charts' values now: decisions per second by backend and by reason, the recent window's
 * response time percentiles and error rate per backend, and every other metric of the table.
 */
export function chartViews(
  summary: PerformanceSummary,
  rates: {
    byBackend: Readonly<Record<string, number>> | null;
    byReason: Readonly<Record<string, number>> | null;
  },
): ChartView[] {
  const rate = (all: Readonly<Record<string, number>> | null, key: string) =>
    all === null ? null : (all[key] ?? 0);
  const recent = (backend: (typeof BACKENDS)[number]) => summary.performance[backend].recent;
  const charts: ChartView[] = [
    {
      id: 'decisions',
      title: 'Decisions per second (real time) by backend',
      series: BACKENDS.map((backend) => ({
        name: BACKEND_LABELS[backend],
        value: rate(rates.byBackend, backend),
      })),
    },
    {
      id: 'reasons',
      title: 'Decisions per second (real time) by reason',
      series: REASONS.map((reason) => ({ name: reason, value: rate(rates.byReason, reason) })),
    },
    {
      id: 'latency',
      title: 'Response time p50 / p95 / p99 (s), recent window',
      series: BACKENDS.flatMap((backend) => [
        { name: `${BACKEND_LABELS[backend]} p50`, value: recent(backend).median_response_time },
        { name: `${BACKEND_LABELS[backend]} p95`, value: recent(backend).p95_response_time },
        { name: `${BACKEND_LABELS[backend]} p99`, value: recent(backend).p99_response_time },
      ]),
    },
  ];
  for (const row of METRIC_TABLE) {
    if (row.name === 'response_time') continue;
    charts.push({
      id: row.name,
      title: `${row.label[0]!.toUpperCase()}${row.label.slice(1)} (${row.unit}), recent window`,
      series: BACKENDS.map((backend) => ({
        name: BACKEND_LABELS[backend],
        value: average(recent(backend), row),
      })),
    });
  }
  return charts;
}
