import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment, reportFromEvents } from '../../src/experiment/analyze-experiment.js';
import { readEventFiles } from '../../src/experiment/read-events.js';
import { OUTCOME_METRICS } from '../../src/metrics/index.js';
import type { OutcomeEvent } from '../../src/outcomes/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';

const at = (
  unit: string,
  cohort: OutcomeEvent['cohort'],
  extra: Partial<OutcomeEvent> = {},
): OutcomeEvent => ({
  time: '2026-11-26T10:00:00Z',
  unit,
  cohort,
  backend: cohort === 'lightrag' ? 'lightrag' : 'perplexity',
  success: true,
  latencyMs: 1000,
  quality: 0.8,
  ...extra,
});

/** Every number in the report is finite; statistics that cannot be computed are null. */
function expectNoNaN(value: unknown, path = 'report'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  else if (Array.isArray(value))
    for (const [index, item] of value.entries()) expectNoNaN(item, `${path}[${index}]`);
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) expectNoNaN(item, `${path}.${key}`);
}

describe('experiment statistics: bad and thin input', () => {
  it('no events at all: insufficient data, every statistic null, no NaN', () => {
    const report = analyzeExperiment([]);
    expectNoNaN(report);
    expect(report).toMatchObject({
      winner: null,
      reason: 'insufficient_data',
      srm: { p_value: null, mismatch: false },
    });
    for (const metric of OUTCOME_METRICS) expect(report.metrics[metric].p_value).toBeNull();
  });

  it('one arm only, or one unit per arm: says what it needs', () => {
    const oneArm = analyzeExperiment([
      at('a', 'lightrag'),
      at('b', 'lightrag'),
      at('c', 'lightrag'),
    ]);
    expectNoNaN(oneArm);
    expect(oneArm.reason).toBe('insufficient_data');
    expect(oneArm.metrics.quality_score.note).toMatch(
      /at least 2 users in each arm \(has 3 and 0\)/,
    );
    const single = analyzeExperiment([at('a', 'lightrag'), at('b', 'perplexity')]);
    expectNoNaN(single);
    expect(single).toMatchObject({ reason: 'insufficient_data' });
    expect(single.verdict).toMatch(/quality_score cannot be compared yet/);
  });

  it('zero variance: no test, with the reason; zero baseline mean: no relative lift', () => {
    const flat = analyzeExperiment(
      [at('a', 'lightrag'), at('b', 'lightrag'), at('c', 'perplexity'), at('d', 'perplexity')],
      { unit: 'request' },
    );
    expectNoNaN(flat);
    expect(flat.metrics.quality_score).toMatchObject({
      p_value: null,
      note: 'no variation in either arm that the sums resolve (constant values, or a spread below the rounding of their sums of squares: sums around a shift near the mean resolve it), so no test is defined',
    });
    const zero = analyzeExperiment(
      [
        at('a', 'lightrag', { quality: 0.2 }),
        at('b', 'lightrag', { quality: 0.4 }),
        at('c', 'perplexity', { quality: 0 }),
        at('d', 'perplexity', { quality: 0 }),
      ],
      { unit: 'request' },
    );
    expectNoNaN(zero);
    expect(zero.metrics.quality_score).toMatchObject({ relative: null, relative_ci: null });
    expect(zero.metrics.quality_score.p_value).toEqual(expect.any(Number));
  });

  it('refuses options out of range, naming them and what is allowed', () => {
    expect(() => analyzeExperiment([], { alpha: 0.7 })).toThrow(
      /alpha must be above 0 and below 0.5, got 0.7/,
    );
    expect(() => analyzeExperiment([], { primary: 'speed' as never })).toThrow(
      /primary must be one of response_time/,
    );
    expect(() => analyzeExperiment([], { guardrails: ['quality_score'] })).toThrow(
      /guardrails cannot hold quality_score: it is the primary metric/,
    );
    expect(() => analyzeExperiment([], { guardrailTolerance: -1 })).toThrow(
      /guardrailTolerance must be a number of 0 or more, got -1/,
    );
    expect(() => analyzeExperiment([], { sequentialTuning: 0 })).toThrow(
      /sequentialTuning must be above 0/,
    );
  });

  it('skips malformed lines with file:line and counts them: not JSON, NaN, negative, unknown cohort or field', async () => {
    const { dir } = await tempConfigDir();
    const good = (i: number) =>
      JSON.stringify(
        at(`u${i}`, i % 2 ? 'lightrag' : 'perplexity', { quality: 0.5 + (i % 7) / 20 }),
      );
    const bad = [
      '{not json',
      '{"time":"2026-11-26T10:00:00Z","unit":"x","cohort":"lightrag","backend":"lightrag","success":true,"latencyMs":NaN}',
      JSON.stringify(at('x', 'lightrag', { latencyMs: -5 })),
      JSON.stringify({ ...at('x', 'lightrag'), cohort: 'gpt' }),
      JSON.stringify({ ...at('x', 'lightrag'), latency: 3 }),
      JSON.stringify({ ...at('x', 'lightrag'), quality: 2 }),
      '[]',
      JSON.stringify({ cohort: 'lightrag' }),
    ];
    const lines: string[] = [];
    for (let i = 0; i < 80; i += 1) lines.push(good(i));
    lines.splice(5, 0, ...bad);
    lines.push('', '   ');
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const read = await readEventFiles([file]);
    expect(read.malformed).toBe(8);
    expect(read.examples.map((example) => `${example.line}: ${example.problem}`)).toEqual([
      '6: not JSON: expected a property name in double quotes at column 2',
      "7: not JSON: a word JSON does not know after ':': strings take double quotes, and the only words are true, false and null at column 111",
      '8: latencyMs must be >= 0',
      '9: cohort must be one of "lightrag", "perplexity", "control"',
      '10: unknown field "latency"',
      '11: quality must be <= 1',
      '12: the event must be an object',
      '13: missing field "time"',
    ]);
    expect(read.examples[0]!.file).toBe(file);
    const report = reportFromEvents(read.accumulator, {}, read.malformed);
    expectNoNaN(report);
    expect(report.events).toMatchObject({ analyzed: 80, malformed: 8 });
    expect(report.units).toEqual({ lightrag: 40, perplexity: 40 });
  });

  it('control events and users seen in both arms are left out, and said so', () => {
    const report = analyzeExperiment([
      at('a', 'lightrag'),
      at('a', 'perplexity'),
      at('b', 'lightrag', { quality: 0.9 }),
      at('c', 'lightrag', { quality: 0.7 }),
      at('d', 'perplexity', { quality: 0.6 }),
      at('e', 'perplexity', { quality: 0.5 }),
      at('f', 'control'),
    ]);
    expect(report.units).toEqual({ lightrag: 2, perplexity: 2 });
    expect(report.events).toMatchObject({ outside_experiment: 1, users_in_both_arms: 1 });
    expect(report.notes.join('\n')).toMatch(/1 users appear in both arms/);
  });
});
