import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyzeExperiment,
  type ExperimentStats,
  renderReportText,
} from '../../src/experiment/index.js';
import { EXPERIMENT_FIXTURES, fixtureEvents } from '../helpers/experiment-fixtures.js';

/** Decisions computed once with scipy by test/fixtures/experiment/winner_rule.py. */
const scenarios = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'winner-rule.json'), 'utf8'),
) as Record<
  string,
  {
    stats: ExperimentStats;
    primary_p_value: number;
    leader: 'lightrag' | 'perplexity';
    worst_case: Record<string, number | null>;
    winner: 'lightrag' | 'perplexity' | null;
    reason: string | null;
  }
>;

describe('the winner rule a careful analyst would sign', () => {
  it.each(Object.entries(scenarios))(
    '%s: the decision and every bound scipy gives',
    (_, expected) => {
      const report = analyzeExperiment(expected.stats);
      expect(report).toMatchObject({
        winner: expected.winner,
        reason: expected.reason,
        leader: expected.leader,
      });
      expect(report.metrics.quality_score.p_value!).toBeCloseTo(expected.primary_p_value, 9);
      for (const [metric, worst] of Object.entries(expected.worst_case)) {
        const check = report.guardrail_checks.find((c) => c.metric === metric)!;
        if (worst === null) {
          expect(check).toMatchObject({ status: 'missing', worst_case: null });
        } else {
          expect(Math.abs(check.worst_case! - worst), metric).toBeLessThan(1e-9);
          expect(check.status).toBe(worst <= 0.05 ? 'pass' : 'fail');
        }
      }
      const text = renderReportText(report);
      if (report.winner === null) {
        expect(report.confidence_level).toBeNull();
        expect(text).not.toMatch(/confidence level/);
        expect(report.verdict).toMatch(/^No winner/);
      } else {
        expect(report.confidence_level).toBeCloseTo(1 - expected.primary_p_value, 12);
      }
    },
  );

  it('a guardrail without variation in either arm is judged on its lift, known exactly', () => {
    // Every user's satisfaction the same in each arm: no interval, and none needed.
    const constant = (n: number, x: number) => ({
      n,
      sum: n * x,
      sum_of_squares: n * x * x,
      denominator_sum: n,
      denominator_sum_of_squares: n,
      cross_sum: n * x,
    });
    const withSatisfaction = (lightrag: number, perplexity: number): ExperimentStats => {
      const stats = structuredClone(scenarios.clean_win!.stats);
      stats.arms.lightrag.satisfaction = constant(stats.units!.lightrag, lightrag);
      stats.arms.perplexity.satisfaction = constant(stats.units!.perplexity, perplexity);
      return stats;
    };
    const worse = analyzeExperiment(withSatisfaction(0.5, 0.75));
    expect(worse.metrics.satisfaction).toMatchObject({
      missing: 'no_variation',
      relative_ci: null,
    });
    expect(worse.guardrail_checks.find((c) => c.metric === 'satisfaction')).toMatchObject({
      status: 'fail',
      worst_case: 1 / 3,
      missing: null,
    });
    expect(worse).toMatchObject({ winner: null, reason: 'guardrail_regression' });
    const same = analyzeExperiment(withSatisfaction(0.75, 0.75));
    expect(same.guardrail_checks.find((c) => c.metric === 'satisfaction')).toMatchObject({
      status: 'pass',
      missing: null,
    });
    expect(same.winner).toBe('lightrag');
  });

  it('the primary is tested on its own: its p is not Holm-adjusted with the guardrails', () => {
    const report = analyzeExperiment(fixtureEvents('clear-winner'));
    const primary = report.metrics.quality_score;
    expect(primary.p_value_holm).toBe(primary.p_value);
  });

  it('names the missing reason of a blocking guardrail and the margin in the verdict', () => {
    const zero = analyzeExperiment(scenarios.zero_baseline_guardrail!.stats);
    expect(zero.guardrail_checks.find((c) => c.metric === 'cost_per_query')).toMatchObject({
      status: 'missing',
      missing: 'zero_baseline',
    });
    expect(zero.verdict).toMatch(/cost_per_query \(zero_baseline\) cannot be checked/);
    const latency = analyzeExperiment(scenarios.latency_plus_20!.stats);
    expect(latency.verdict).toMatch(
      /not shown within the 5 % margin on response_time \(could be \+36\.2 % worse\)/,
    );
  });

  it('request-level data names no winner unless asked; the report says which unit it is', () => {
    const stats = scenarios.clean_win!.stats;
    const arms = Object.fromEntries(
      Object.entries(stats.arms).map(([arm, metrics]) => [
        arm,
        Object.fromEntries(
          Object.entries(metrics).map(([metric, m]) => [
            metric,
            { n: m.n, sum: m.sum, sum_of_squares: m.sum_of_squares },
          ]),
        ),
      ]),
    ) as ExperimentStats['arms'];
    const perRequest = analyzeExperiment({ unit: 'request', arms });
    expect(perRequest).toMatchObject({
      unit: 'request',
      unit_level: false,
      winner: null,
      reason: 'request_level_data',
      srm: { basis: null, p_value: null },
    });
    expect(perRequest.notes.join('\n')).toMatch(/not a sample-ratio test/);
    expect(renderReportText(perRequest)).toMatch(/sample ratio: not tested/);
    const asked = analyzeExperiment({ unit: 'request', arms }, { allowRequestLevelWinner: true });
    expect(asked.winner).toBe('lightrag');
    // The event log at --unit request: the same rule.
    const events = analyzeExperiment(fixtureEvents('clear-winner'), {
      unit: 'request',
      guardrails: ['success_rate'],
    });
    expect(events).toMatchObject({ unit: 'request', winner: null, reason: 'request_level_data' });
    expect(
      analyzeExperiment(fixtureEvents('clear-winner'), {
        unit: 'user',
        guardrails: ['success_rate'],
      }),
    ).toMatchObject({ unit: 'user', unit_level: true, winner: 'lightrag' });
  });

  it('sequential decisions read the always-valid intervals, which are wider', () => {
    const fixed = analyzeExperiment(scenarios.clean_win!.stats);
    const sequential = analyzeExperiment(scenarios.clean_win!.stats, { sequential: true });
    expect(sequential).toMatchObject({
      sequential: true,
      winner: 'lightrag',
      confidence_level: 0.95,
    });
    for (const check of sequential.guardrail_checks) {
      const other = fixed.guardrail_checks.find((c) => c.metric === check.metric)!;
      expect(check.worst_case!).toBeGreaterThan(other.worst_case!);
    }
    // Just significant at the fixed horizon, not on the always-valid interval.
    const close = JSON.parse(JSON.stringify(scenarios.clean_win!.stats)) as ExperimentStats;
    const quality = close.arms.lightrag.quality_score!;
    const shifted = 0.76 + 0.0075;
    quality.sum_of_squares += 2000 * (shifted ** 2 - 0.8 ** 2);
    quality.sum = 2000 * shifted;
    quality.cross_sum = quality.sum;
    expect(analyzeExperiment(close).winner).toBe('lightrag');
    expect(analyzeExperiment(close, { sequential: true }).reason).toBe('inconclusive');
  });
});
