import type { OutcomeMetric } from '../metrics/index.js';
import type { ExperimentReport, NoWinnerReason } from './analyze-experiment.js';
import type { Arm } from './experiment-data.js';
import type { ExperimentSettings } from './experiment-settings.js';
import type { MetricReport } from './metric-report.js';
import { pValueText } from './render-report.js';

const NAMES: Record<Arm, string> = { lightrag: 'LightRAG', perplexity: 'Perplexity' };
const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

/** Whether `winner` is worse than the other arm on a guardrail by more than the tolerance. */
function regresses(metric: MetricReport, winner: Arm, tolerance: number): boolean {
  if (!metric.relative_ci) return false;
  const [low, high] = metric.relative_ci;
  // relative_ci is treatment against baseline; "worse for the winner" flips with the winner.
  const treatmentWorse = metric.better === 'higher' ? high < -tolerance : low > tolerance;
  const treatmentBetter = metric.better === 'higher' ? low > tolerance : high < -tolerance;
  return winner === 'lightrag' ? treatmentWorse : treatmentBetter;
}

/**
 * The winner rule: the arm significantly better on the primary metric (Holm-adjusted), unless
 * the split is a sample-ratio mismatch or a guardrail is worse beyond the tolerance.
 */
export function judgeWinner(
  metrics: Record<OutcomeMetric, MetricReport>,
  srm: ExperimentReport['srm'],
  settings: ExperimentSettings,
): Pick<ExperimentReport, 'winner' | 'confidence_level' | 'reason' | 'verdict'> {
  const primary = metrics[settings.primary];
  const confidence = primary.p_value_holm === null ? null : 1 - primary.p_value_holm;
  const none = (reason: NoWinnerReason, verdict: string) => ({
    winner: null,
    confidence_level: confidence,
    reason,
    verdict,
  });
  if (srm.mismatch) {
    return none(
      'sample_ratio_mismatch',
      `No winner: the split of ${srm.basis} between the arms is not the configured one (sample-ratio test p = ${pValueText(srm.p_value!)} < ${srm.threshold}); the assignment or the outcome reporting is broken, so no comparison can be trusted.`,
    );
  }
  if (primary.p_value === null || primary.estimate === null) {
    return none(
      'insufficient_data',
      `No winner: ${settings.primary} cannot be compared yet (${primary.note}).`,
    );
  }
  const lift = primary.relative === null ? '' : ` (${percent(primary.relative)})`;
  if (!primary.significant) {
    return none(
      'inconclusive',
      `No winner yet: ${settings.primary} differs by ${primary.estimate.toPrecision(3)}${lift}, which is not significant (Holm-adjusted p = ${pValueText(primary.p_value_holm!)} >= ${settings.alpha}).`,
    );
  }
  const treatmentBetter = primary.better === 'higher' ? primary.estimate > 0 : primary.estimate < 0;
  const winner: Arm = treatmentBetter ? 'lightrag' : 'perplexity';
  const blocked = settings.guardrails.filter((metric) =>
    regresses(metrics[metric], winner, settings.guardrailTolerance),
  );
  if (blocked.length > 0) {
    const worse = blocked
      .map((metric) => `${metric} (${percent(metrics[metric].relative!)})`)
      .join(', ');
    return none(
      'guardrail_regression',
      `No winner: ${NAMES[winner]} is better on ${settings.primary}${lift}, but significantly worse beyond the ${(settings.guardrailTolerance * 100).toFixed(0)} % tolerance on ${worse}.`,
    );
  }
  return {
    winner,
    confidence_level: confidence,
    reason: null,
    verdict: `${NAMES[winner]} wins on ${settings.primary}${lift}, Holm-adjusted p = ${pValueText(primary.p_value_holm!)}; no guardrail is worse beyond ${(settings.guardrailTolerance * 100).toFixed(0)} %.`,
  };
}
