import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validators } from '../../src/config/schemas.js';
import { METRIC_TABLE, OUTCOME_METRICS } from '../../src/metrics/index.js';
import { type OutcomeShape, parseOutcome } from '../../src/outcomes/index.js';
import { REPO_DIR } from '../helpers/config-dir.js';
import { generatedValidators } from '../helpers/generated-validators.js';

const schema = (name: string) =>
  JSON.parse(readFileSync(join(REPO_DIR, 'schemas', name), 'utf8')) as {
    properties: Record<string, unknown>;
    definitions: Record<string, { properties: Record<string, unknown> }>;
  };

/** (shape, value) -> the problem's field and sentence; null: accepted. */
const CASES: [OutcomeShape, unknown, [string, string] | null][] = [
  ['report', { success: true, latencyMs: 1830, quality: 0.9, userId: 'u1' }, null],
  ['report', { success: false }, null],
  [
    'report',
    { success: true, latencyMs: -5 },
    [
      'outcome.latencyMs',
      'outcome.latencyMs must be a number of milliseconds from 0 to 3600000 (one hour), got -5',
    ],
  ],
  [
    'report',
    { success: true, latencyMs: Number.NaN },
    [
      'outcome.latencyMs',
      'outcome.latencyMs must be a number of milliseconds from 0 to 3600000 (one hour), got NaN',
    ],
  ],
  [
    'report',
    { success: true, costUsd: Number.POSITIVE_INFINITY },
    [
      'outcome.costUsd',
      'outcome.costUsd must be a number of US dollars from 0 to 1000, got Infinity',
    ],
  ],
  // Beyond the bounds: a huge value would skew the averages, the p95 and the sums.
  [
    'report',
    { success: true, latencyMs: 1e308 },
    [
      'outcome.latencyMs',
      'outcome.latencyMs must be a number of milliseconds from 0 to 3600000 (one hour), got 1e+308',
    ],
  ],
  [
    'report',
    { success: true, latencyMs: 3_600_000.5 },
    [
      'outcome.latencyMs',
      'outcome.latencyMs must be a number of milliseconds from 0 to 3600000 (one hour), got 3600000.5',
    ],
  ],
  ['report', { success: true, latencyMs: 3_600_000, costUsd: 1000 }, null],
  [
    'report',
    { success: true, costUsd: 1000.01 },
    [
      'outcome.costUsd',
      'outcome.costUsd must be a number of US dollars from 0 to 1000, got 1000.01',
    ],
  ],
  [
    'report',
    { success: true, quality: 2 },
    ['outcome.quality', 'outcome.quality must be a number from 0 to 1, got 2'],
  ],
  [
    'report',
    { success: 'yes' },
    ['outcome.success', 'outcome.success must be true or false, got "yes"'],
  ],
  ['report', {}, ['outcome.success', 'outcome.success is required: true or false']],
  [
    'report',
    { success: true, userId: '' },
    [
      'outcome.userId',
      'outcome.userId must be a non-empty string of at most 1024 characters, got ""',
    ],
  ],
  ['report', null, ['outcome', 'outcome must be an object']],
  ['report', [1], ['outcome', 'outcome must be an object']],
  // Unknown fields come before the values, whatever the order of the keys.
  [
    'report',
    { success: 'yes', latency: 3 },
    [
      'outcome.latency',
      'outcome.latency is not a field of an outcome; use success, latencyMs, quality, costUsd, satisfaction, shadow, preference, userId',
    ],
  ],
  [
    'report',
    { success: true, backend: 'lightrag' },
    ['outcome.backend', expect.stringContaining('is not a field') as unknown as string],
  ],
  // Inside a nested object, the path to the field and what it takes.
  [
    'report',
    { success: true, shadow: { latencyMs: 5 } },
    ['outcome.shadow.success', 'outcome.shadow.success is required: true or false'],
  ],
  [
    'report',
    { success: true, shadow: { success: true, quality: 2 } },
    ['outcome.shadow.quality', 'outcome.shadow.quality must be a number from 0 to 1, got 2'],
  ],
  [
    'posted',
    {
      backend: 'perplexity',
      success: true,
      shadow: { success: true },
      preference: { winner: 'tie' },
    },
    [
      'outcome.preference.judge',
      'outcome.preference.judge is required: a name of 1 to 128 characters',
    ],
  ],
  [
    'posted',
    { success: true, preference: { winner: 'x'.repeat(100), judge: 'j' } },
    [
      'outcome.preference.winner',
      `outcome.preference.winner must be "lightrag", "perplexity" or "tie", got "${'x'.repeat(64)}"\u2026 (100 characters)`,
    ],
  ],
  [
    'decision',
    { backend: 'lightrag', covariates: { region: 5 } },
    [
      'decision.covariates.region',
      'decision.covariates.region must be a string of at most 64 characters, got 5',
    ],
  ],
  [
    'decision',
    { backend: 'lightrag', covariates: 5 },
    [
      'decision.covariates',
      "decision.covariates must be the decision's covariates (an object of queryType, lengthBucket, complexity and region) or null, got 5",
    ],
  ],
  [
    'decision',
    { backend: 'lightrag', covariates: { colour: 'red' } },
    [
      'decision.covariates.colour',
      'decision.covariates.colour is not a field of decision.covariates; use queryType, lengthBucket, complexity, region',
    ],
  ],
  ['posted', { decisionId: 'abc-1', success: true }, null],
  ['posted', { backend: 'lightrag', cohort: null, success: true, satisfaction: 1 }, null],
  // The decision's fields come first.
  [
    'posted',
    { success: 'yes', backend: 'gpt' },
    ['decision.backend', 'decision.backend must be "lightrag" or "perplexity", got "gpt"'],
  ],
  [
    'posted',
    { backend: 'lightrag', cohort: 'bogus', success: true },
    [
      'decision.cohort',
      expect.stringMatching(
        /^decision\.cohort must be one of "lightrag", "perplexity", "control", null, got "bogus"$/,
      ) as unknown as string,
    ],
  ],
  [
    'posted',
    { decisionId: 7, success: true },
    ['decisionId', 'decisionId must be a string, got 7'],
  ],
  ['decision', { backend: 'lightrag', cohort: 'lightrag', reason: 'rollout_percentage' }, null],
  [
    'decision',
    { backend: 'x' },
    ['decision.backend', 'decision.backend must be "lightrag" or "perplexity", got "x"'],
  ],
  ['decision', 'lightrag', ['decision', 'decision must be the decision object the outcome is for']],
  [
    'event',
    { time: '2026-11-26T10:00:00Z', cohort: 'control', backend: 'perplexity', success: true },
    null,
  ],
  [
    'event',
    {
      time: '2026-11-26T10:00:00Z',
      cohort: 'lightrag',
      backend: 'lightrag',
      success: true,
      latencyMs: -5,
    },
    ['latencyMs', 'latencyMs must be >= 0'],
  ],
  [
    'event',
    {
      time: '2026-11-26T10:00:00Z',
      cohort: 'lightrag',
      backend: 'lightrag',
      success: true,
      latency: 3,
    },
    ['latency', 'unknown field "latency"'],
  ],
  [
    'event',
    {
      time: '2026-11-26T10:00:00Z',
      cohort: 'lightrag',
      backend: 'lightrag',
      success: true,
      costUsd: 1e308,
    },
    ['costUsd', 'costUsd must be <= 1000'],
  ],
  ['event', { cohort: 'lightrag' }, ['time', 'missing field "time"']],
  [
    'event',
    {
      time: '2026-11-26T10:00:00Z',
      cohort: 'control',
      backend: 'perplexity',
      success: true,
      shadow: { latencyMs: 5 },
    },
    ['success', 'shadow: missing field "success"'],
  ],
  ['event', [], ['', 'the event must be an object']],
];

describe('parseOutcome: one parser from schemas/outcome-event.schema.json', () => {
  it.each(CASES)('%s %j', (shape, value, expected) => {
    const parsed = parseOutcome(value, shape);
    if (expected === null) {
      expect(parsed).toEqual({ ok: true, outcome: value });
      return;
    }
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect([parsed.problem.field, parsed.problem.text]).toEqual(expected);
    if (shape !== 'event') {
      expect(parsed.problem.text).toBe(`${parsed.problem.field} ${parsed.problem.message}`);
    }
  });

  it('the generated validators answer as the compiled ones', () => {
    const generated = generatedValidators();
    const names = {
      report: 'outcomeReport',
      posted: 'outcomePosted',
      decision: 'outcomeDecision',
      event: 'outcomeEvent',
    } as const;
    for (const [shape, value] of CASES) {
      const name = names[shape];
      expect(generated[name]!(value), `${shape} ${JSON.stringify(value)}`).toBe(
        validators[name](value),
      );
      const strip = (errors: unknown) => JSON.parse(JSON.stringify(errors ?? null));
      expect(strip(generated[name]!.errors)).toEqual(strip(validators[name].errors));
    }
  });
});

describe('the schemas follow the metric table', () => {
  const outcome = schema('outcome-event.schema.json');
  const fields = METRIC_TABLE.map((row) => row.field);

  it('every metric field is in every shape, and every measured field is a metric', () => {
    for (const properties of [
      outcome.properties,
      outcome.definitions.report!.properties,
      outcome.definitions.posted!.properties,
    ]) {
      for (const field of fields) expect(Object.keys(properties)).toContain(field);
    }
    // The user, and the shadow's half of a pair (its own fields are the table's, checked below).
    const measured = Object.keys(outcome.definitions.report!.properties).filter(
      (key) => !['userId', 'shadow', 'preference'].includes(key),
    );
    expect(measured.sort()).toEqual([...fields].sort());
  });

  it("a shadow result's fields are the table's, but satisfaction (no user saw its answer)", () => {
    const shadow = Object.keys(outcome.definitions.shadow!.properties);
    expect(shadow.sort()).toEqual(fields.filter((field) => field !== 'satisfaction').sort());
  });

  it("every measured field's bounds are the table's range", () => {
    const definitions = outcome.definitions as Record<
      string,
      { type?: string; minimum?: number; maximum?: number }
    >;
    for (const row of METRIC_TABLE) {
      const node = definitions[row.field]!;
      if (row.range === null) {
        expect(node.type, row.field).toBe('boolean');
        continue;
      }
      expect([node.minimum, node.maximum], row.field).toEqual([...row.range]);
    }
  });

  it('the statistics schema has exactly the table metrics', () => {
    const stats = schema('experiment-stats.schema.json');
    expect(Object.keys(stats.definitions.arm!.properties)).toEqual([...OUTCOME_METRICS]);
  });
});
