import { formatMetric, METRIC_LABELS, type OutcomeMetric } from '../metrics/index.js';
import type { ExperimentReport } from './analyze-experiment.js';
import type { MetricReport } from './metric-report.js';
import { tailsHtml, tailsText } from './render-tails.js';
import { varianceReductionHtml, varianceReductionText } from './render-variance-reduction.js';
import { pValueText } from './render-verdict.js';
import { textTable } from './text-table.js';

/** A metric's mean as the metric table formats it; `-` when there is none. */
const meanText = (metric: OutcomeMetric, x: number | null) =>
  x === null ? '-' : formatMetric(metric, x);

const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;

function pText(p: number | null): string {
  if (p === null) return '-';
  return p < 0.0001 ? '< 0.0001' : p.toFixed(4);
}

/** One metric's verdict in words, from the treatment's point of view. */
export function metricVerdict(metric: MetricReport): string {
  if (metric.p_value === null) return 'not computable';
  if (!metric.significant) return 'no significant difference';
  const up = (metric.estimate ?? 0) > 0;
  const good = metric.better === 'higher' ? up : !up;
  return good ? 'LightRAG better' : 'LightRAG worse';
}

function liftText(metric: MetricReport): string {
  if (metric.relative === null || metric.relative_ci === null) return '-';
  const [low, high] = metric.relative_ci;
  return `${signed(metric.relative)} [${signed(low)}, ${signed(high)}]`;
}

/** The outcome-return rate per arm, when the data has exposure records. */
function returnLine(report: ExperimentReport): string[] {
  const back = report.outcome_return;
  if (!back) return [];
  const rate = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);
  return [
    `outcomes returned: ${rate(back.rate.lightrag)} of LightRAG's exposed units, ${rate(back.rate.perplexity)} of Perplexity's${back.p_value === null ? '' : ` (p = ${pValueText(back.p_value)}${back.differs ? ': DIFFERENT' : ''})`}`,
  ];
}

/** The guardrails' non-inferiority checks for the arm ahead on the primary metric. */
function guardrailLines(report: ExperimentReport): string[] {
  if (report.leader === null || report.guardrail_checks.length === 0) return [];
  const leader = report.leader === 'lightrag' ? 'LightRAG' : 'Perplexity';
  return [
    `guardrails for ${leader} (non-inferiority, margin ${(report.guardrail_tolerance * 100).toFixed(0)} %):`,
    ...report.guardrail_checks.map((check) =>
      check.worst_case === null
        ? `  ${check.metric}: cannot be checked (${check.missing ?? 'no data'}): blocks`
        : `  ${check.metric}: ${check.worst_case >= 0 ? `could be up to ${(check.worst_case * 100).toFixed(1)} % worse` : `at least ${(-check.worst_case * 100).toFixed(1)} % better`}: ${check.status}`,
    ),
  ];
}

/** The report as a product owner reads it: a table, the sample-ratio line, the verdict. */
export function renderReportText(report: ExperimentReport): string {
  const rows = [['metric', 'LightRAG', 'Perplexity', 'lift [CI]', 'p (Holm)', 'verdict']];
  for (const [name, metric] of Object.entries(report.metrics) as [OutcomeMetric, MetricReport][]) {
    const role = metric.role === 'primary' ? ' (primary)' : '';
    rows.push([
      `${METRIC_LABELS[name]}${role}`,
      `${meanText(name, metric.mean[0])} (n ${metric.n[0]})`,
      `${meanText(name, metric.mean[1])} (n ${metric.n[1]})`,
      liftText(metric),
      pText(metric.p_value_holm),
      metric.note && metric.p_value === null ? metric.note : metricVerdict(metric),
    ]);
  }
  const table = textTable(rows);
  const srm = report.srm;
  const srmLine =
    srm.basis === null
      ? `sample ratio: not tested, the ${report.source} data has no unit counts (${report.units.lightrag} vs ${report.units.perplexity} outcomes is not a test)`
      : srm.p_value === null
        ? 'sample ratio: no units yet'
        : `sample ratio: ${srm.observed!.lightrag} vs ${srm.observed!.perplexity} ${srm.basis === 'exposures' ? 'exposed units' : 'users'} (tested against ${(srm.expected_share * 100).toFixed(0)}/${((1 - srm.expected_share) * 100).toFixed(0)}), chi-square ${srm.chi_square!.toFixed(3)}, p = ${pValueText(srm.p_value)}: ${srm.mismatch ? 'MISMATCH' : 'ok'}`;
  return [
    `experiment: LightRAG (treatment) vs Perplexity (baseline), from ${report.source}, per ${report.unit}, alpha ${report.alpha}, ${((1 - report.alpha) * 100).toFixed(0)} % intervals${report.sequential ? ', decided on the always-valid intervals' : ''}`,
    '',
    ...table,
    '',
    srmLine,
    ...returnLine(report),
    '',
    ...varianceReductionText(report),
    ...tailsText(report),
    report.verdict,
    ...(report.winner === null || report.confidence_level === null
      ? []
      : [`confidence level: ${(report.confidence_level * 100).toFixed(2)} %`]),
    ...guardrailLines(report),
    '',
    ...report.notes.map((note) => `note: ${note}`),
  ].join('\n');
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** An SVG bar of a relative-lift interval around 0, with the tolerance band. */
function intervalBar(metric: MetricReport, tolerance: number): string {
  if (!metric.relative_ci || metric.relative === null)
    return '<svg width="320" height="28" role="img" aria-label="not computable"></svg>';
  const [low, high] = metric.relative_ci;
  const span = Math.max(Math.abs(low), Math.abs(high), tolerance, 0.01) * 1.15;
  const x = (v: number) => 160 + (v / span) * 150;
  const good = metric.better === 'higher' ? low > 0 : high < 0;
  const bad = metric.better === 'higher' ? high < 0 : low > 0;
  const colour = good ? '#1a7f37' : bad ? '#b42318' : '#57606a';
  return `<svg width="320" height="28" role="img" aria-label="relative lift ${escapeHtml(signed(metric.relative))}, interval ${escapeHtml(signed(low))} to ${escapeHtml(signed(high))}">
<rect x="${x(-tolerance).toFixed(1)}" y="2" width="${(x(tolerance) - x(-tolerance)).toFixed(1)}" height="24" fill="#eaeef2"/>
<line x1="160" y1="0" x2="160" y2="28" stroke="#24292f" stroke-width="1"/>
<line x1="${x(low).toFixed(1)}" y1="14" x2="${x(high).toFixed(1)}" y2="14" stroke="${colour}" stroke-width="6" stroke-linecap="round"/>
<circle cx="${x(metric.relative).toFixed(1)}" cy="14" r="5" fill="#fff" stroke="${colour}" stroke-width="2"/>
</svg>`;
}

/** One self-contained HTML page (no network): the numbers and a CI bar per metric. */
export function renderReportHtml(
  report: ExperimentReport,
  title = 'flagroute experiment report',
): string {
  const rows = (Object.entries(report.metrics) as [OutcomeMetric, MetricReport][])
    .map(([name, metric]) => {
      return `<tr><th scope="row">${METRIC_LABELS[name]}${metric.role === 'primary' ? ' <small>(primary)</small>' : ''}</th>
<td>${meanText(name, metric.mean[0])}<br><small>n ${metric.n[0]}</small></td><td>${meanText(name, metric.mean[1])}<br><small>n ${metric.n[1]}</small></td>
<td>${escapeHtml(liftText(metric))}</td><td>${intervalBar(metric, report.guardrail_tolerance)}</td>
<td>${pText(metric.p_value_holm)}</td><td>${metric.chance_to_win === null ? '-' : `${(metric.chance_to_win * 100).toFixed(1)} %`}</td>
<td>${escapeHtml(metric.p_value === null ? (metric.note ?? '') : metricVerdict(metric))}</td></tr>`;
    })
    .join('\n');
  const banner = report.srm.mismatch
    ? `<p class="alert" role="alert">Sample-ratio mismatch: p = ${pValueText(report.srm.p_value!)}. No comparison can be trusted.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;color:#24292f;margin:2rem auto;max-width:72rem;padding:0 1rem}
table{border-collapse:collapse;width:100%}th,td{padding:.45rem .6rem;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:middle}
thead th{background:#f6f8fa}small{color:#57606a}.verdict{font-size:1.15rem;font-weight:600}
.alert{background:#ffebe9;border:1px solid #b42318;padding:.6rem;color:#82071e}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>LightRAG (treatment) against Perplexity (baseline), per ${report.unit}; ${((1 - report.alpha) * 100).toFixed(0)} % intervals; the grey band is the guardrail tolerance (±${(report.guardrail_tolerance * 100).toFixed(0)} %).</p>
${banner}
<p class="verdict">${escapeHtml(report.verdict)}</p>
<table><caption class="sr-only">Metrics</caption><thead><tr><th scope="col">metric</th><th scope="col">LightRAG</th><th scope="col">Perplexity</th><th scope="col">lift [CI]</th><th scope="col">interval</th><th scope="col">p (Holm)</th><th scope="col">chance to win</th><th scope="col">verdict</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${varianceReductionHtml(report)}
${tailsHtml(report)}
<p>Sample ratio: ${report.srm.observed ? `${report.srm.observed.lightrag} vs ${report.srm.observed.perplexity} users` : 'not tested (no unit counts)'}; chi-square ${report.srm.chi_square?.toFixed(3) ?? '-'}, p = ${report.srm.p_value === null ? '-' : pValueText(report.srm.p_value)}.</p>
<ul>${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>
<script type="application/json" id="report">${JSON.stringify(report).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
