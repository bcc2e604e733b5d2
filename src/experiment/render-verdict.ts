import { P_VALUE_FLOOR } from '../statistics/index.js';
import type { ExperimentReport } from './analyze-experiment.js';
import type { Arm } from './experiment-data.js';

const NAMES: Record<Arm, string> = { lightrag: 'LightRAG', perplexity: 'Perplexity' };
const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

/** A p-value to three significant digits; one at the floor as "< 1e-300". */
export function pValueText(p: number): string {
  return p <= P_VALUE_FLOOR ? `< ${P_VALUE_FLOOR}` : p.toPrecision(3);
}

/** The sentence a product owner reads: the winner, or why there is none. */
export function verdictText(report: ExperimentReport): string {
  const primary = report.metrics[report.primary];
  const name = report.primary;
  const lift = primary.relative === null ? '' : ` (${percent(primary.relative)})`;
  const margin = `${(report.guardrail_tolerance * 100).toFixed(0)} %`;
  const evidence = report.sequential
    ? `the always-valid ${((1 - report.alpha) * 100).toFixed(0)} % interval excludes no difference`
    : `p = ${primary.p_value === null ? '-' : pValueText(primary.p_value)}`;
  const leader = report.leader ? NAMES[report.leader] : '';
  const failing = (status: 'fail' | 'missing') =>
    report.guardrail_checks
      .filter((check) => check.status === status)
      .map((check) =>
        status === 'fail'
          ? `${check.metric} (could be ${percent(check.worst_case!)} worse)`
          : `${check.metric} (${check.missing ?? 'no data'})`,
      )
      .join(', ');
  switch (report.reason) {
    case 'sample_ratio_mismatch':
      return `No winner: the split of ${report.srm.basis === 'exposures' ? 'exposed units' : 'users'} between the arms is not the configured one (sample-ratio test p = ${pValueText(report.srm.p_value!)} < ${report.srm.threshold}); the assignment or the outcome reporting is broken, so no comparison can be trusted.`;
    case 'request_level_data':
      return `No winner: the data is per ${report.unit_level ? 'user' : 'request'}${report.srm.basis === null ? ' without unit counts' : ''}, where a user's repeat queries overstate significance; analyse the outcome event log per user (or ask for a request-level winner).`;
    case 'insufficient_data':
      return `No winner: ${name} cannot be compared yet (${primary.note ?? 'no difference in the estimate'}).`;
    case 'too_few_units':
      return `No winner yet: ${report.units.lightrag} and ${report.units.perplexity} units in the arms, below the ${report.min_units_per_arm} each needs.`;
    case 'inconclusive':
      return `No winner yet: ${name} differs by ${primary.estimate!.toPrecision(3)}${lift}, which is not significant (${report.sequential ? 'the always-valid interval includes no difference' : `p = ${pValueText(primary.p_value!)} >= ${report.alpha}`}).`;
    case 'guardrail_regression':
      return `No winner: ${leader} is better on ${name}${lift}, but not shown within the ${margin} margin on ${failing('fail')}.`;
    case 'guardrail_missing':
      return `No winner: ${leader} is better on ${name}${lift}, but ${failing('missing')} cannot be checked, and an unchecked guardrail blocks.`;
    default:
      return `${NAMES[report.winner!]} wins on ${name}${lift}, ${evidence}; every guardrail is within ${margin}.`;
  }
}
