import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlagrouteError } from '../../src/errors.js';
import {
  analyzeExperiment,
  type ExperimentStats,
  MISSING_REASONS,
  renderReportHtml,
  renderReportText,
  statsSource,
} from '../../src/experiment/index.js';
import { OUTCOME_METRICS } from '../../src/metrics/index.js';
import { P_VALUE_FLOOR } from '../../src/statistics/index.js';
import { runCli } from '../helpers/run-cli.js';

/** Every number anywhere in a value, with its path. */
function numbers(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, i) => numbers(item, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => numbers(item, `${path}.${key}`));
  return [];
}

/** The moments of `n` values spread around `mean` by `sd`, as a warehouse would add them. */
function momentsOf(n: number, mean: number, sd: number) {
  const sum = n * mean;
  const squares = n * mean * mean + (n > 1 ? (n - 1) * sd * sd : 0);
  return { n, sum, sum_of_squares: squares };
}

const extreme = fc.oneof(
  fc.constantFrom(0, 1e-300, 1e-12, 0.5, 1, 1e6, 1e150, 1e200, 1e300),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
const count = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 1e9, 2 ** 52),
  fc.integer({ min: 0, max: 10_000 }),
);
const arm = fc.dictionary(
  fc.constantFrom(...OUTCOME_METRICS),
  fc
    .tuple(count, extreme, fc.oneof(fc.constant(0), extreme.map(Math.abs)))
    .map(([n, mean, sd]) => momentsOf(n, mean, sd)),
);

describe('the report never crashes and never prints NaN', () => {
  it('random and extreme statistics give a finite report, or INVALID_DATA naming the field', () => {
    let reports = 0;
    fc.assert(
      fc.property(arm, arm, fc.option(fc.tuple(count, count)), (treatment, baseline, units) => {
        const stats: ExperimentStats = {
          unit: 'request',
          arms: { lightrag: treatment, perplexity: baseline },
        };
        if (units) stats.units = { lightrag: units[0], perplexity: units[1] };
        let report: ReturnType<typeof analyzeExperiment>;
        try {
          report = analyzeExperiment(stats);
        } catch (error) {
          expect(error).toBeInstanceOf(FlagrouteError);
          expect((error as FlagrouteError).code).toBe('INVALID_DATA');
          expect((error as Error).message).toMatch(/arms\.\w+\.\w+\.\w+ /);
          return;
        }
        reports += 1;
        for (const [path, value] of numbers(report)) {
          expect(Number.isFinite(value), `${path} = ${value}`).toBe(true);
        }
        for (const metric of Object.values(report.metrics)) {
          if (metric.p_value === null) expect(MISSING_REASONS).toContain(metric.missing);
          if (metric.p_value !== null) expect(metric.p_value).toBeGreaterThanOrEqual(P_VALUE_FLOOR);
        }
        const text = `${renderReportText(report)}${renderReportHtml(report)}`;
        expect(text).not.toMatch(/NaN|Infinity|undefined/);
      }),
      { seed: 2424, numRuns: 400 },
    );
    expect(reports).toBeGreaterThan(100);
  });

  it('1 M users split 52/48 with an arm without outcomes: a mismatch at p < 1e-300, exit 0', async () => {
    const stats = {
      unit: 'request',
      units: { lightrag: 520_000, perplexity: 480_000 },
      arms: { lightrag: {}, perplexity: { quality_score: momentsOf(1000, 0.8, 0.1) } },
    };
    const report = analyzeExperiment(stats as ExperimentStats);
    expect(report.srm).toMatchObject({ chi_square: 1600, p_value: P_VALUE_FLOOR, mismatch: true });
    expect(report.metrics.quality_score.missing).toBe('too_few_units');
    const file = join(mkdtempSync(join(tmpdir(), 'flagroute-srm-')), 'stats.json');
    writeFileSync(file, JSON.stringify(stats));
    const result = await runCli(['experiment', 'report', '--stats', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/chi-square 1600\.000, p = < 1e-300: MISMATCH/);
    expect(result.stdout).not.toMatch(/NaN/);
  });

  it('two constant arms (0.9 x 50 against 0.7 x 50) give no test and no winner', () => {
    const constant = (x: number) => {
      const m = { n: 0, sum: 0, sum_of_squares: 0 };
      for (let i = 0; i < 50; i += 1) {
        m.n += 1;
        m.sum += x;
        m.sum_of_squares += x * x;
      }
      return m;
    };
    const report = analyzeExperiment({
      unit: 'request',
      arms: {
        lightrag: { quality_score: constant(0.9) },
        perplexity: { quality_score: constant(0.7) },
      },
    });
    expect(report.metrics.quality_score).toMatchObject({ p_value: null, missing: 'no_variation' });
    expect(report.winner).toBeNull();
  });

  it('impossible moments are refused with the field named', () => {
    const refused = (moments: object, unit: 'request' | 'user' = 'request') => {
      try {
        analyzeExperiment({
          unit,
          arms: { lightrag: { quality_score: moments }, perplexity: {} },
        } as ExperimentStats);
      } catch (error) {
        expect((error as FlagrouteError).code).toBe('INVALID_DATA');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ n: 10, sum: 9, sum_of_squares: 1 })).toMatch(
      /arms\.lightrag\.quality_score\.sum_of_squares is too small for the sum/,
    );
    expect(refused({ n: 2.5, sum: 1, sum_of_squares: 1 })).toMatch(
      /quality_score\.n must be a count/,
    );
    expect(refused({ n: 3, sum: 1, sum_of_squares: 1 }, 'user')).toMatch(
      /quality_score\.denominator_sum is required at the user unit/,
    );
    expect(
      refused(
        {
          n: 3,
          sum: 1,
          sum_of_squares: 1,
          denominator_sum: 2,
          denominator_sum_of_squares: 2,
          cross_sum: 1,
        },
        'user',
      ),
    ).toMatch(/denominator_sum counts values, at least one per user/);
    expect(refused({ n: 3, sum: Number.NaN, sum_of_squares: 1 })).toMatch(
      /sum must be a finite number/,
    );
  });

  it('the library holds statistics objects to the schema, as --stats files are: the field named, never a silent gap', async () => {
    const quality = { n: 10, sum: 5, sum_of_squares: 5 };
    const cases: [unknown, RegExp][] = [
      [
        {
          unit: 'request',
          arms: { lightrag: { quality_score: { n: 10, sum_of_squares: 5 } }, perplexity: {} },
        },
        /^the statistics: arms\.lightrag\.quality_score: missing field "sum"$/,
      ],
      [
        { unit: 'request', arms: { lightrag: { latency: quality }, perplexity: {} } },
        /^the statistics: arms\.lightrag: unknown field "latency"$/,
      ],
      [
        { unit: 'request', arms: { lightrag: { quality_score: quality } } },
        /^the statistics: arms: missing field "perplexity"$/,
      ],
      [
        {
          unit: 'request',
          arms: { lightrag: { quality_score: { ...quality, n: '10' } }, perplexity: {} },
        },
        /^the statistics: arms\.lightrag\.quality_score\.n must be a number$/,
      ],
      [
        {
          unit: 'request',
          arms: {
            lightrag: { quality_score: { ...quality, sum: Number.POSITIVE_INFINITY } },
            perplexity: {},
          },
        },
        /^the statistics: arms\.lightrag\.quality_score\.sum must be a finite number, got Infinity$/,
      ],
    ];
    for (const [stats, message] of cases) {
      expect(() => analyzeExperiment(stats as ExperimentStats)).toThrow(message);
      await expect(statsSource(stats as ExperimentStats).read()).rejects.toMatchObject({
        code: 'INVALID_DATA',
        message: expect.stringMatching(message),
      });
    }
  });

  it('the library checks events as the event reader does: a NaN is skipped and counted', () => {
    const good = (unit: string, cohort: 'lightrag' | 'perplexity', quality: number) => ({
      time: '2026-11-26T10:00:00Z',
      unit,
      cohort,
      backend: cohort,
      success: true,
      quality,
    });
    const report = analyzeExperiment([
      good('a', 'lightrag', 0.8),
      good('b', 'lightrag', 0.9),
      good('c', 'perplexity', 0.7),
      good('d', 'perplexity', 0.6),
      { ...good('e', 'lightrag', 0.5), latencyMs: Number.NaN },
      { ...good('f', 'perplexity', 0.5), quality: 7 },
    ]);
    expect(report.events).toMatchObject({ analyzed: 4, malformed: 2 });
    expect(report.notes.join('\n')).toMatch(/2 events fail the event schema/);
    for (const [path, value] of numbers(report)) expect(Number.isFinite(value), path).toBe(true);
  });
});
