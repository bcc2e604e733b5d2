import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  analyzePairs,
  PAIRED_METRICS,
  PairedTally,
  readPairFiles,
  type ShadowReport,
} from '../../src/shadow/index.js';
import { runCli } from '../helpers/run-cli.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'shadow');
const PAIRS = join(FIXTURES, 'pairs.jsonl');

interface MetricReference {
  units: number;
  pairs: number;
  lightrag_mean: number;
  perplexity_mean: number;
  difference: number;
  p_value: number;
  df: number;
  ci: [number, number];
  se: number;
  sequential_ci: [number, number];
}
interface PreferenceReference {
  units: number;
  win_share: number;
  win_share_p_value: number;
  win_share_ci: [number, number];
  users_preferring_lightrag: number;
  users_preferring_perplexity: number;
  win_rate: number;
  win_rate_ci: [number, number];
}

/** Computed once by test/fixtures/shadow/generate.py with numpy and scipy (ttest_rel, binomtest). */
const reference = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as {
  alpha: number;
  tuning: number;
  pairs: number;
  pairs_without_unit: number;
  shadow_cost_usd: number;
  served_cost_usd: number;
  metrics: Record<string, MetricReference>;
  preferences: Record<string, PreferenceReference>;
};

/** Equal to 1e-9, relative (absolute below 1e-300). */
function near(actual: number | null | undefined, expected: number, what: string): void {
  expect(typeof actual, what).toBe('number');
  const scale = Math.max(Math.abs(expected), 1e-300);
  expect(Math.abs((actual as number) - expected) / scale, what).toBeLessThan(1e-9);
}

function expectReference(report: ShadowReport): void {
  expect(report.unit).toBe('user');
  expect(report.pairs).toBe(reference.pairs);
  expect(report.pairs_without_unit).toBe(reference.pairs_without_unit);
  near(report.cost.shadow_cost_usd, reference.shadow_cost_usd, 'shadow cost');
  near(report.cost.served_cost_usd, reference.served_cost_usd, 'served cost');
  expect(report.metrics.map((metric) => metric.metric)).toEqual([...PAIRED_METRICS]);
  for (const metric of report.metrics) {
    const expected = reference.metrics[metric.metric]!;
    const at = (field: string) => `${metric.metric}.${field}`;
    expect(metric.units, at('units')).toBe(expected.units);
    expect(metric.pairs, at('pairs')).toBe(expected.pairs);
    expect(metric.missing, at('missing')).toBeNull();
    near(metric.lightrag_mean, expected.lightrag_mean, at('lightrag_mean'));
    near(metric.perplexity_mean, expected.perplexity_mean, at('perplexity_mean'));
    near(metric.difference, expected.difference, at('difference'));
    near(metric.se, expected.se, at('se'));
    near(metric.df, expected.df, at('df'));
    near(metric.p_value, expected.p_value, at('p_value'));
    near(metric.ci?.[0], expected.ci[0], at('ci low'));
    near(metric.ci?.[1], expected.ci[1], at('ci high'));
    near(metric.sequential_ci?.[0], expected.sequential_ci[0], at('sequential low'));
    near(metric.sequential_ci?.[1], expected.sequential_ci[1], at('sequential high'));
  }
  expect(report.preferences.map((each) => each.judge)).toEqual(
    Object.keys(reference.preferences).sort(),
  );
  for (const preference of report.preferences) {
    const expected = reference.preferences[preference.judge]!;
    const at = (field: string) => `${preference.judge}.${field}`;
    expect(preference.units, at('units')).toBe(expected.units);
    near(preference.win_share, expected.win_share, at('win_share'));
    near(preference.win_share_p_value, expected.win_share_p_value, at('win_share_p_value'));
    near(preference.win_share_ci?.[0], expected.win_share_ci[0], at('win_share_ci low'));
    near(preference.win_share_ci?.[1], expected.win_share_ci[1], at('win_share_ci high'));
    expect(preference.users_preferring_lightrag).toBe(expected.users_preferring_lightrag);
    expect(preference.users_preferring_perplexity).toBe(expected.users_preferring_perplexity);
    near(preference.win_rate, expected.win_rate, at('win_rate'));
    near(preference.win_rate_ci?.[0], expected.win_rate_ci[0], at('win_rate_ci low'));
    near(preference.win_rate_ci?.[1], expected.win_rate_ci[1], at('win_rate_ci high'));
  }
}

const temp = mkdtempSync(join(tmpdir(), 'flagroute-shadow-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('the paired analysis against scipy', () => {
  it('per user: ttest_rel on per-user means, the confidence sequence, win shares and binomial intervals', async () => {
    const read = await readPairFiles([PAIRS]);
    expect(read.malformed).toBe(0);
    const report = analyzePairs(read.tally, {
      alpha: reference.alpha,
      sequentialTuning: reference.tuning,
    });
    expectReference(report);
    const quality = report.metrics.find((metric) => metric.metric === 'quality_score')!;
    expect(quality.verdict).toBe('lightrag_better');
    const success = report.metrics.find((metric) => metric.metric === 'success_rate')!;
    expect(success.verdict).toBe('lightrag_worse');
    // The always-valid interval is wider: what the fixed one shows, it may not.
    const sequential = analyzePairs(read.tally, {
      alpha: reference.alpha,
      sequentialTuning: reference.tuning,
      sequential: true,
    });
    expect(sequential.metrics.find((m) => m.metric === 'success_rate')!.verdict).toBe(
      'no_difference',
    );
  });

  it('flagroute experiment report --shadow prints the same report (JSON, text, HTML)', async () => {
    const html = join(temp, 'shadow.html');
    const json = await runCli([
      'experiment',
      'report',
      '--shadow',
      '--events',
      PAIRS,
      '--sequential-tuning',
      String(reference.tuning),
      '--json',
      '--html',
      html,
    ]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expectReference(JSON.parse(json.stdout) as ShadowReport);
    expect(readFileSync(html, 'utf8')).toContain('<h1>flagroute shadow duel</h1>');
    const text = await runCli(['experiment', 'report', '--shadow', '--events', PAIRS]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${reference.pairs} pairs from`);
    expect(text.stdout).toMatch(/quality score: 119 users, 464 pairs;.*LightRAG better/);
    expect(text.stdout).toContain('shadow, counted apart');
    const wrong = await runCli(['experiment', 'report', '--shadow', '--stats', PAIRS]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('--shadow reads pairs from --events FILE... or --store URL');
  });

  it('says why a metric has no test', () => {
    const tally = new PairedTally();
    const report = analyzePairs(tally);
    expect(report.metrics.every((metric) => metric.missing === 'no_pairs')).toBe(true);
    tally.add({
      time: '2026-12-01T00:00:00Z',
      unit: 'a',
      cohort: 'control',
      backend: 'perplexity',
      success: true,
      quality: 0.5,
      shadow: { success: true, quality: 0.7 },
    });
    expect(analyzePairs(tally).metrics.find((m) => m.metric === 'quality_score')!.missing).toBe(
      'too_few_units',
    );
    tally.add({
      time: '2026-12-01T00:00:00Z',
      unit: 'b',
      cohort: 'control',
      backend: 'perplexity',
      success: true,
      quality: 0.4,
      shadow: { success: true, quality: 0.6 },
    });
    expect(analyzePairs(tally).metrics.find((m) => m.metric === 'quality_score')!.missing).toBe(
      'no_variation',
    );
  });
});
