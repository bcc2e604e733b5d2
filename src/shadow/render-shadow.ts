import { pValueText } from '../experiment/index.js';
import { formatMetric } from '../metrics/index.js';
import type { PairedMetricReport, PreferenceReport, ShadowReport } from './shadow-report.js';

const VERDICTS = {
  lightrag_better: 'LightRAG better',
  lightrag_worse: 'LightRAG worse',
  no_difference: 'no difference shown',
} as const;

const MISSING = {
  no_pairs: 'no pairs',
  too_few_units: 'fewer than two users',
  no_variation: 'no variation between users',
} as const;

const signed = (text: string) => (text.startsWith('-') ? text : `+${text}`);
const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

function differenceText(metric: PairedMetricReport): string {
  if (metric.difference === null) return '-';
  const value = signed(formatMetric(metric.metric, metric.difference));
  const relative =
    metric.relative_difference === null ? '' : ` (${signed(percent(metric.relative_difference))})`;
  return `${value}${relative}`;
}

function intervalText(metric: PairedMetricReport, interval: [number, number] | null): string {
  if (interval === null) return '-';
  return `[${formatMetric(metric.metric, interval[0])}, ${formatMetric(metric.metric, interval[1])}]`;
}

function verdictOf(metric: PairedMetricReport): string {
  if (metric.missing !== null) return MISSING[metric.missing];
  return `${VERDICTS[metric.verdict!]}, p ${pValueText(metric.p_value!)}`;
}

function metricLine(metric: PairedMetricReport): string {
  const means =
    metric.lightrag_mean === null
      ? ''
      : ` LightRAG ${formatMetric(metric.metric, metric.lightrag_mean)} vs Perplexity ${formatMetric(metric.metric, metric.perplexity_mean!)};`;
  return `  ${metric.label}: ${metric.units} users, ${metric.pairs} pairs;${means} difference ${differenceText(metric)} CI ${intervalText(metric, metric.ci)}, always-valid ${intervalText(metric, metric.sequential_ci)}: ${verdictOf(metric)}`;
}

function preferenceLine(preference: PreferenceReport): string {
  const { judged } = preference;
  const share =
    preference.win_share === null
      ? ''
      : ` win share ${percent(preference.win_share)}${preference.win_share_ci ? ` [${percent(preference.win_share_ci[0])}, ${percent(preference.win_share_ci[1])}]` : ''}${preference.win_share_p_value === null ? '' : `, p ${pValueText(preference.win_share_p_value)}`};`;
  const rate =
    preference.win_rate === null
      ? 'no user prefers either'
      : `${preference.users_preferring_lightrag} of ${preference.users_preferring_lightrag + preference.users_preferring_perplexity} users with a preference prefer LightRAG (${percent(preference.win_rate)} [${percent(preference.win_rate_ci![0])}, ${percent(preference.win_rate_ci![1])}])`;
  return `  judge ${preference.judge}: ${preference.units} users, ${judged.lightrag} LightRAG / ${judged.perplexity} Perplexity / ${judged.tie} ties;${share} ${rate}; ${preference.users_without_preference} users without one`;
}

function costLine(report: ShadowReport): string {
  const { cost } = report;
  const per = (value: number | null) =>
    value === null ? '-' : formatMetric('cost_per_query', value);
  const ratio =
    cost.shadow_to_served === null
      ? ''
      : ` (${(cost.shadow_to_served * 100).toFixed(0)} % of the served cost)`;
  return `cost: served ${formatMetric('cost_per_query', cost.served_cost_usd)} (${per(cost.served_cost_per_query)} a query); shadow, counted apart, ${formatMetric('cost_per_query', cost.shadow_cost_usd)} (${per(cost.shadow_cost_per_query)} a query)${ratio}`;
}

/** The shadow duel as text: the pairs, each metric per user, each judge, the cost. */
export function renderShadowText(report: ShadowReport): string {
  const success =
    report.shadow_success_rate === null
      ? ''
      : `; shadow calls succeeded ${percent(report.shadow_success_rate)}`;
  const lines = [
    `Shadow duel: LightRAG (shadow) against Perplexity (served) on the same queries, per user; ${((1 - report.alpha) * 100).toFixed(0)} % intervals${report.sequential ? ' (verdicts from the always-valid ones)' : ''}`,
    `${report.pairs} pairs from ${report.units} users${success}`,
    'metrics (LightRAG minus Perplexity):',
    ...report.metrics.map(metricLine),
  ];
  if (report.preferences.length > 0) {
    lines.push('preferences (a tie counts half a win):', ...report.preferences.map(preferenceLine));
  }
  lines.push(costLine(report), ...report.notes.map((note) => `note: ${note}`));
  return lines.join('\n');
}

const escapeHtml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/** The shadow duel as one self-contained HTML page (no network). */
export function renderShadowHtml(report: ShadowReport, title = 'flagroute shadow duel'): string {
  const rows = report.metrics
    .map(
      (metric) =>
        `<tr><th scope="row">${escapeHtml(metric.label)}</th><td>${metric.units}</td><td>${metric.pairs}</td><td>${escapeHtml(differenceText(metric))}</td><td>${escapeHtml(intervalText(metric, metric.ci))}</td><td>${escapeHtml(intervalText(metric, metric.sequential_ci))}</td><td>${escapeHtml(verdictOf(metric))}</td></tr>`,
    )
    .join('\n');
  const judges = report.preferences
    .map((preference) => `<li>${escapeHtml(preferenceLine(preference).trim())}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;color:#24292f;margin:2rem auto;max-width:72rem;padding:0 1rem}
table{border-collapse:collapse;width:100%}th,td{padding:.45rem .6rem;border-bottom:1px solid #d0d7de;text-align:left}
thead th{background:#f6f8fa}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>LightRAG's shadow calls against Perplexity's served answers on the same queries, per user (${report.units} users, ${report.pairs} pairs); ${((1 - report.alpha) * 100).toFixed(0)} % intervals of LightRAG minus Perplexity.</p>
<table><thead><tr><th scope="col">metric</th><th scope="col">users</th><th scope="col">pairs</th><th scope="col">difference</th><th scope="col">interval</th><th scope="col">always-valid</th><th scope="col">verdict</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${judges === '' ? '' : `<h2>Preferences</h2><ul>${judges}</ul>`}
<p>${escapeHtml(costLine(report))}</p>
<ul>${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>
<script type="application/json" id="report">${JSON.stringify(report).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
