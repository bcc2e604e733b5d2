import { formatMetric, METRIC_LABELS, type OutcomeMetric } from '../metrics/index.js';
import type { ExperimentReport } from './analyze-experiment.js';
import { textTable } from './text-table.js';
import {
  ADJUSTMENT_METHODS,
  type AdjustmentMethod,
  type Effect,
  type VarianceReductionReport,
} from './variance-reduction.js';

const METHOD_LABELS: Record<AdjustmentMethod, string> = {
  regression: 'regression',
  post_stratification: 'post-stratified by query type',
};

/** A signed difference in the metric's format, e.g. `-0.132 s`, `+1.9 %`. */
function difference(metric: OutcomeMetric, x: number): string {
  return `${x < 0 ? '-' : '+'}${formatMetric(metric, Math.abs(x))}`;
}

function effectText(metric: OutcomeMetric, effect: Effect): string {
  const [low, high] = effect.ci;
  return `${difference(metric, effect.estimate)} [${difference(metric, low)}, ${difference(metric, high)}]`;
}

/** The design in words: its numeric columns and how many levels of each category. */
function designText(reduction: VarianceReductionReport): string {
  const count = (prefix: string) => reduction.columns.filter((c) => c.startsWith(prefix)).length;
  const numeric = reduction.columns.filter((column) => !column.includes('='));
  return `${[...numeric, `${count('queryType=')} query types`, `${count('region=')} regions`].join(', ')}${reduction.dropped_levels > 0 ? ` (${reduction.dropped_levels} further levels left out)` : ''}`;
}

/** The rows: per metric and method, raw and adjusted differences and the variance reduced. */
function rowsOf(reduction: VarianceReductionReport): string[][] {
  const rows: string[][] = [];
  for (const [metric, methods] of Object.entries(reduction.metrics) as [
    OutcomeMetric,
    VarianceReductionReport['metrics'][OutcomeMetric],
  ][]) {
    for (const method of ADJUSTMENT_METHODS) {
      const compared = methods[method];
      rows.push([
        method === 'regression' ? METRIC_LABELS[metric] : '',
        METHOD_LABELS[method],
        compared ? effectText(metric, compared.raw) : '-',
        compared ? effectText(metric, compared.adjusted) : 'not computable',
        compared ? `${(compared.variance_reduction * 100).toFixed(1)} %` : '-',
      ]);
    }
  }
  return rows;
}

const HEADER = ['metric', 'method', 'raw difference [CI]', 'adjusted [CI]', 'variance reduced'];

/** The variance reduction's lines of the text report (none without covariates). */
export function varianceReductionText(report: ExperimentReport): string[] {
  const reduction = report.variance_reduction;
  if (!reduction) return [];
  const rows = [HEADER, ...rowsOf(reduction)];
  const table = textTable(rows);
  return [
    `variance reduction with query covariates, per ${reduction.unit}${reduction.request_level ? ' (request-level figures, not a test)' : ''}: ${designText(reduction)}; LightRAG - Perplexity, the winner above reads the raw differences`,
    ...table,
    '',
  ];
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The variance reduction's section of the HTML report (empty without covariates). */
export function varianceReductionHtml(report: ExperimentReport): string {
  const reduction = report.variance_reduction;
  if (!reduction) return '';
  const head = HEADER.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join('');
  const body = rowsOf(reduction)
    .map(
      ([metric, ...cells]) =>
        `<tr><th scope="row">${escapeHtml(metric!)}</th>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<h2>Variance reduction with query covariates</h2>
<p>Per ${reduction.unit}${reduction.request_level ? ' (request-level figures, not a test)' : ''}; covariates: ${escapeHtml(designText(reduction))}. LightRAG - Perplexity; the verdict reads the raw differences.</p>
<table id="variance-reduction"><thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table>`;
}
