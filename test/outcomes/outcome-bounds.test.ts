import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cohort } from '../../src/decision/types.js';
import { InvalidOutcomeError } from '../../src/errors.js';
import { readEventFiles } from '../../src/experiment/read-events.js';
import { METRIC_TABLE } from '../../src/metrics/index.js';
import {
  type OutcomeEvent,
  OutcomeEventLog,
  type OutcomeReport,
  parseOutcome,
} from '../../src/outcomes/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { routerIn } from '../helpers/test-router.js';
import { postOutcomes, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';
const QUIET = `rollout_percentage: 100
enable_ab_testing: true
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;

/** Each measured field's range, from the metric table (the schema is held to it elsewhere). */
const RANGES = Object.fromEntries(
  METRIC_TABLE.flatMap((row) => (row.range === null ? [] : [[row.field, row.range]])),
) as Record<string, readonly [number, number]>;

/**
 * A value of a field: mostly within its range (fast-check favours the ends and the tiniest
 * doubles), sometimes beyond its top, up to the largest double.
 */
const fieldValue = (field: string) => {
  const [min, max] = RANGES[field]!;
  const within = fc.double({ min, max, noNaN: true }).map((value) => value + 0); // -0 is 0 in JSON
  const beyond = fc.double({ min: max, max: Number.MAX_VALUE, noNaN: true, minExcluded: true });
  return fc.oneof({ arbitrary: within, weight: 9 }, { arbitrary: beyond, weight: 1 });
};
const isBeyond = (field: string, value: unknown) =>
  typeof value === 'number' && value > RANGES[field]![1];

const report: fc.Arbitrary<OutcomeReport> = fc.record(
  {
    success: fc.boolean(),
    latencyMs: fieldValue('latencyMs'),
    quality: fieldValue('quality'),
    costUsd: fieldValue('costUsd'),
    satisfaction: fieldValue('satisfaction'),
    userId: fc.string({ minLength: 1, maxLength: 40 }),
  },
  { requiredKeys: ['success'] },
);
// The pairs a decision makes: no cohort is served by the other backend (arm-of-cohort.ts).
const decision = fc.constantFrom<{ backend: 'lightrag' | 'perplexity'; cohort: Cohort }>(
  { backend: 'lightrag', cohort: 'lightrag' },
  { backend: 'perplexity', cohort: 'perplexity' },
  { backend: 'perplexity', cohort: 'control' },
);

describe('outcome values have bounds', () => {
  it('every event the log writes reads back, equal to what was recorded; a value beyond its bound is refused', async () => {
    const { router } = await routerIn({ [ENV]: QUIET });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(decision, report), { minLength: 1, maxLength: 20 }),
        async (outcomes) => {
          const { dir } = await tempConfigDir();
          const log = new OutcomeEventLog({ dir });
          const removeSink = router.addOutcomeSink(log);
          const recorded: typeof outcomes = [];
          try {
            for (const [made, measured] of outcomes) {
              const beyond = Object.keys(RANGES)
                .filter((field) => isBeyond(field, measured[field as keyof OutcomeReport]))
                .map((field) => `outcome.${field}`);
              if (beyond.length === 0) {
                router.recordOutcome(made, measured);
                recorded.push([made, measured]);
                continue;
              }
              let refused: unknown;
              try {
                router.recordOutcome(made, measured);
              } catch (error) {
                refused = error;
              }
              expect(refused).toBeInstanceOf(InvalidOutcomeError);
              expect(beyond).toContain((refused as InvalidOutcomeError).field);
            }
          } finally {
            removeSink();
            await log.close();
          }
          const files = readdirSync(dir).map((name) => join(dir, name));
          const lines = files.flatMap((file) =>
            readFileSync(file, 'utf8')
              .split('\n')
              .filter((line) => line !== ''),
          );
          expect(lines).toHaveLength(recorded.length);
          for (const [index, line] of lines.entries()) {
            const parsed = parseOutcome(JSON.parse(line), 'event');
            expect(parsed.ok, line).toBe(true);
            const event = (parsed as { outcome: OutcomeEvent }).outcome;
            const [made, measured] = recorded[index]!;
            expect(event).toMatchObject({ backend: made.backend, cohort: made.cohort });
            for (const row of METRIC_TABLE) {
              expect(event[row.field], `${row.field} of ${line}`).toBe(measured[row.field]);
            }
          }
          const read = await readEventFiles(files, { threads: 1 });
          expect([read.lines, read.malformed]).toEqual([recorded.length, 0]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a value beyond its bound is refused naming the field; at the bound, sums and averages stay numbers', async () => {
    const temp = await tempConfigDir({ [ENV]: QUIET });
    const server = await testServer({
      configDir: temp.dir,
      watch: false,
      ingestToken: 'ingest-token-of-the-tests',
    });
    const url = `${server.url}/v1/outcomes`;
    const refused: [Record<string, unknown>, string, string][] = [
      [{ latencyMs: 1e308 }, 'outcome.latencyMs', '1e+308'],
      [{ latencyMs: 1e12 }, 'outcome.latencyMs', '1000000000000'],
      [{ latencyMs: 3_600_001 }, 'outcome.latencyMs', '3600001'],
      [{ costUsd: 1e308 }, 'outcome.costUsd', '1e+308'],
      [{ costUsd: 1000.5 }, 'outcome.costUsd', '1000.5'],
    ];
    for (const [values, field, shown] of refused) {
      const answer = await postOutcomes(url, [
        { backend: 'lightrag', cohort: 'lightrag', success: true, latencyMs: 900 },
        { backend: 'lightrag', cohort: 'lightrag', success: true, ...values },
      ]);
      expect(answer.status, field).toBe(400);
      expect(answer.body, field).toMatchObject({
        errorCode: 'INVALID_OUTCOME',
        problems: [{ index: 1, field, message: expect.stringContaining(`, got ${shown}`) }],
      });
    }
    const summary = async () =>
      (await fetch(`${server.url}/v1/summary`).then((response) => response.json())) as {
        performance: { lightrag: Record<string, number | null> };
        circuit_breaker: { total_requests: number };
      };
    expect((await summary()).circuit_breaker.total_requests).toBe(0);

    const largest = { backend: 'lightrag', cohort: 'lightrag', success: true };
    const batch = Array.from({ length: 400 }, () => ({
      ...largest,
      latencyMs: 3_600_000,
      costUsd: 1000,
    }));
    for (let round = 0; round < 4; round += 1) {
      expect((await postOutcomes(url, batch)).status).toBe(200);
      const baseline = batch.map((item) => ({
        ...item,
        backend: 'perplexity',
        cohort: 'perplexity',
      }));
      expect((await postOutcomes(url, baseline)).status).toBe(200);
    }
    const { performance } = await summary();
    expect(performance.lightrag.avg_cost_usd).toBe(1000);
    // Response times are kept in the latency histogram, to two significant digits.
    for (const key of ['avg_response_time', 'p95_response_time']) {
      expect(Math.abs(performance.lightrag[key]! / 3600 - 1), key).toBeLessThan(0.01);
    }
    const report = (await fetch(`${server.url}/v1/experiment`).then((response) =>
      response.json(),
    )) as { metrics: { cost_per_query: { mean: (number | null)[] } } };
    expect(report.metrics.cost_per_query.mean).toEqual([1000, 1000]);
  });
});
