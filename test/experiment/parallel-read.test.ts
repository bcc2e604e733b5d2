import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment } from '../../src/experiment/analyze-experiment.js';
import { expectClose } from '../helpers/close-reports.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';

/** The built reader: its worker threads run from dist/ (the source has no .js worker). */
const built = (await import(
  join(REPO_DIR, 'dist', 'index.js')
)) as typeof import('../../src/index.js');

describe('reading an event log with worker threads', () => {
  it('gives the same report, counts and file:line of malformed lines as one thread', async () => {
    const { dir } = await tempConfigDir();
    const lines = readFileSync(join(EXPERIMENT_FIXTURES, 'clear-winner.jsonl'), 'utf8')
      .trim()
      .split('\n');
    for (const at of [3, 600, 1201, lines.length - 2]) lines.splice(at, 0, `{broken line ${at}`);
    lines.splice(900, 0, '');
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const one = await built.readEventFiles([file], { threads: 1 });
    const three = await built.readEventFiles([file], { threads: 3, parallelMinBytes: 0 });
    // Chunks of 4 KiB, many more than readers, each claimed by whichever reader comes first.
    const chunked = await built.readEventFiles([file], {
      threads: 3,
      parallelMinBytes: 0,
      chunkBytes: 4096,
    });
    expect(three.lines).toBe(one.lines);
    expect(chunked.lines).toBe(one.lines);
    expect(three.malformed).toBe(4);
    expect(three.examples).toEqual(one.examples);
    expect(chunked.examples).toEqual(one.examples);
    expectClose(
      built.reportFromEvents(chunked.accumulator, { unit: 'user' }),
      built.reportFromEvents(one.accumulator, { unit: 'user' }),
      1e-9,
    );
    expect(three.examples.map((example) => example.line)).toEqual(
      lines.flatMap((line, index) => (line.startsWith('{broken') ? [index + 1] : [])),
    );
    for (const unit of ['request', 'user'] as const) {
      const a = analyzeExperiment(one.accumulator.stats(unit));
      const b = analyzeExperiment(three.accumulator.stats(unit));
      for (const metric of Object.keys(a.metrics) as (keyof typeof a.metrics)[]) {
        expect(b.metrics[metric].n).toEqual(a.metrics[metric].n);
        expect(b.metrics[metric].p_value).toBeCloseTo(a.metrics[metric].p_value!, 12);
        expect(b.metrics[metric].mean[0]).toBeCloseTo(a.metrics[metric].mean[0]!, 12);
      }
      expect(b.units).toEqual(a.units);
    }
    expect(three.accumulator.usersInBothArms).toBe(one.accumulator.usersInBothArms);
  });

  it('tallies each user once whatever thread read its lines: sums, arms, exposures, covariates, tail values and repeated decision ids as one thread', async () => {
    const { dir } = await tempConfigDir();
    const lines: string[] = [];
    const time = (index: number) =>
      new Date(Date.UTC(2026, 11, 1) + index * 1000).toISOString().replace('.000', '');
    for (let index = 0; index < 6000; index += 1) {
      // 300 users whose lines are spread over the whole file; u8 changes arm half-way, so it is
      // in both arms only when its lines from both halves meet in one tally.
      const user = index % 300;
      const arm = (user === 8 && index > 3000) || user % 2 === 1 ? 'lightrag' : 'perplexity';
      const line: Record<string, unknown> = {
        time: time(index),
        cohort: index % 97 === 0 ? 'control' : arm,
        backend: arm,
        success: index % 13 !== 0,
        ...(user % 50 === 3 ? { userId: `user ${user}` } : { unit: `u${user}` }),
        latencyMs: 400 + ((index * 37) % 900),
        costUsd: ((index * 11) % 100) / 10_000,
        quality: ((index * 7) % 100) / 100,
        decisionId: `d${index === 5900 ? 10 : index}`,
      };
      if (user % 3 === 0)
        line.covariates = { queryType: user % 2 ? 'chat' : 'search', complexity: user % 5 };
      if (index % 100 === 50) line.unit = undefined;
      lines.push(JSON.stringify(line));
      if (index % 40 === 0 && user % 50 !== 3) {
        lines.push(
          JSON.stringify({
            kind: 'exposure',
            schema: 2,
            time: time(index),
            unit: `u${user}`,
            cohort: arm,
            backend: arm,
            percentage: 50,
            period: 'p50',
          }),
        );
      }
    }
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const one = await built.readEventFiles([file], { threads: 1 });
    const three = await built.readEventFiles([file], { threads: 3, parallelMinBytes: 0 });
    expect(three.lines).toBe(one.lines);
    expect(three.malformed).toBe(0);
    expect(three.duplicateDecisionIds).toBe(1);
    expect(three.duplicateExamples).toEqual(one.duplicateExamples);
    expect(three.accumulator.usersInBothArms).toBe(1);
    expect(three.accumulator.usersTallied).toBe(one.accumulator.usersTallied);
    for (const unit of ['request', 'user'] as const) {
      const a = built.reportFromEvents(one.accumulator, { unit });
      const b = built.reportFromEvents(three.accumulator, { unit });
      if (unit === 'user') expect(a.variance_reduction).toBeDefined();
      expect(a.tails).toBeDefined();
      // A user's sums add in the order lines arrive from the threads.
      expectClose(b, a, 1e-9);
    }
  });

  it('finds the repeated decision ids of files read in parts, each checked by one thread, as one thread does: their count and the first 20 in reading order; a second file read in parts joins users already tallied', async () => {
    const { dir } = await tempConfigDir();
    const lines: string[] = [];
    for (let index = 0; index < 3000; index += 1) {
      // 200 repeats spread over every part, each of an id from far before (often another part),
      // more than 20 in each reader's share.
      const repeat = index >= 1000 && index % 10 === 7;
      lines.push(
        JSON.stringify({
          time: '2026-12-01T00:00:00Z',
          cohort: index % 2 ? 'lightrag' : 'perplexity',
          backend: index % 2 ? 'lightrag' : 'perplexity',
          success: true,
          unit: `u${index % 200}`,
          latencyMs: 300 + ((index * 53) % 2000),
          decisionId: `d${repeat ? index - 997 : index}`,
        }),
      );
    }
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    // The file twice: every id of the second read repeats one of the first.
    const one = await built.readEventFiles([file, file], { threads: 1 });
    const three = await built.readEventFiles([file, file], { threads: 3, parallelMinBytes: 0 });
    const chunked = await built.readEventFiles([file, file], {
      threads: 3,
      parallelMinBytes: 0,
      chunkBytes: 8192,
    });
    expect(one.duplicateDecisionIds).toBe(200 + 3000);
    expect(three.duplicateDecisionIds).toBe(one.duplicateDecisionIds);
    expect(three.duplicateExamples).toEqual(one.duplicateExamples);
    expect(chunked.duplicateDecisionIds).toBe(one.duplicateDecisionIds);
    expect(chunked.duplicateExamples).toEqual(one.duplicateExamples);
    expect(three.duplicateExamples.map((example) => example.line)).toEqual(
      Array.from({ length: 20 }, (_, index) => 1008 + 10 * index),
    );
    // The second file's users were tallied already: its parts join by lookup, tail values too.
    expectClose(
      built.reportFromEvents(three.accumulator, { unit: 'user' }).tails,
      built.reportFromEvents(one.accumulator, { unit: 'user' }).tails,
      1e-12,
    );
  });
});
