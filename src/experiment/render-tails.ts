import { formatMetric, METRIC_LABELS } from '../metrics/index.js';
import type { ExperimentReport } from './analyze-experiment.js';
import type { CappingReport } from './capping.js';
import { pValueText } from './render-verdict.js';
import type { ArmTail, TailComparison, TailMissing, TailTestReport } from './tail-test.js';
import { textTable } from './text-table.js';

const seconds = (x: number) => formatMetric('response_time', x);
const signedSeconds = (x: number) => `${x < 0 ? '-' : '+'}${seconds(Math.abs(x))}`;

const MISSING_TEXT: Record<TailMissing, string> = {
  no_values: 'needs each value: the event log',
  too_few_units: 'fewer than two users in an arm',
  too_few_tail_values: 'too few values beyond the percentile',
};

function armText(arm: ArmTail | null): string {
  if (!arm) return '-';
  return `${seconds(arm.value)} [${seconds(arm.lower)}, ${seconds(arm.upper)}]`;
}

function tailVerdictText(comparison: TailComparison): string {
  if (comparison.missing) return MISSING_TEXT[comparison.missing];
  if (!comparison.significant) return 'no significant difference';
  return comparison.difference! > 0 ? 'LightRAG slower' : 'LightRAG faster';
}

function tailRows(tails: TailTestReport): string[][] {
  return tails.comparisons.map((comparison) => {
    // A sequential report judges, and so shows, the always-valid interval of the difference.
    const interval = tails.sequential ? comparison.sequential_interval : comparison.interval;
    return [
      `p${comparison.percentile}`,
      armText(comparison.arms.lightrag),
      armText(comparison.arms.perplexity),
      interval
        ? `${signedSeconds(comparison.difference!)} [${signedSeconds(interval[0])}, ${signedSeconds(interval[1])}]`
        : comparison.difference === null
          ? '-'
          : signedSeconds(comparison.difference),
      comparison.p_value === null ? '-' : pValueText(comparison.p_value),
      tailVerdictText(comparison),
    ];
  });
}

const TAIL_HEADER = [
  'percentile',
  'LightRAG [CI]',
  'Perplexity [CI]',
  'difference [CI]',
  'p',
  'verdict',
];

function cappedArm(entry: CappingReport, arm: 'lightrag' | 'perplexity'): string {
  const capped = entry.arms?.[arm];
  if (!capped || capped.cap === null) return '-';
  return `${formatMetric(entry.metric, capped.cap)} (${capped.capped} of ${capped.values} values)`;
}

function meansText(entry: CappingReport, arm: 'lightrag' | 'perplexity'): string {
  const capped = entry.arms?.[arm];
  if (!capped || capped.raw_mean === null || capped.capped_mean === null) return '-';
  return `${formatMetric(entry.metric, capped.raw_mean)} -> ${formatMetric(entry.metric, capped.capped_mean)}`;
}

function cappingRows(capping: readonly CappingReport[]): string[][] {
  return capping.map((entry) => [
    METRIC_LABELS[entry.metric],
    `${entry.percentile}th`,
    entry.missing ? 'not capped: the source keeps sums, not values' : cappedArm(entry, 'lightrag'),
    entry.missing ? '-' : cappedArm(entry, 'perplexity'),
    entry.missing ? '-' : `${meansText(entry, 'lightrag')}; ${meansText(entry, 'perplexity')}`,
  ]);
}

const CAPPING_HEADER = [
  'metric',
  'percentile',
  'LightRAG cap',
  'Perplexity cap',
  'mean raw -> capped (LightRAG; Perplexity)',
];

const tailTitle = (tails: TailTestReport) =>
  `tail test of response time, per ${tails.unit}${tails.unit === 'request' ? ' (request-level figures, not a test)' : ''}: each arm's percentile with Woodruff's ${((1 - tails.alpha) * 100).toFixed(0)} % interval, LightRAG - Perplexity${tails.sequential ? ' with its always-valid interval' : ''} beside the absolute p95 rollback trigger`;

/** The tail test's and the capping's lines of the text report. */
export function tailsText(report: ExperimentReport): string[] {
  const lines = [
    tailTitle(report.tails),
    ...textTable([TAIL_HEADER, ...tailRows(report.tails)]),
    '',
  ];
  if (report.capping) {
    lines.push(
      `capped (winsorized at each arm's percentile, from its histogram) before the users' means; the metrics table compares the capped values:`,
      ...textTable([CAPPING_HEADER, ...cappingRows(report.capping)]),
      '',
    );
  }
  return lines;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function htmlTable(id: string, header: string[], rows: string[][]): string {
  const head = header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join('');
  const body = rows
    .map(
      ([first, ...cells]) =>
        `<tr><th scope="row">${escapeHtml(first!)}</th>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table id="${id}"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** The tail test's and the capping's sections of the HTML report. */
export function tailsHtml(report: ExperimentReport): string {
  const capping = report.capping
    ? `<h2>Capping</h2>
<p>Winsorized at each arm's percentile, read from its histogram, before the users' means; the metrics table compares the capped values.</p>
${htmlTable('capping', CAPPING_HEADER, cappingRows(report.capping))}`
    : '';
  return `<h2>Tail test</h2>
<p>${escapeHtml(tailTitle(report.tails))}.</p>
${htmlTable('tail-test', TAIL_HEADER, tailRows(report.tails))}
${capping}`;
}
