import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

describe('flagroute decide', () => {
  it('decides one query as JSON', async () => {
    const result = await runCli([
      'decide',
      '--env',
      'production',
      '--user',
      'judy',
      '--region',
      'us_east',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const decision = JSON.parse(result.stdout);
    expect(decision).toMatchObject({
      backend: 'lightrag',
      reason: 'user_cohort_assignment',
      cohort: 'lightrag',
      bucket: 1.1124213228729605,
      rolloutPercentage: 25,
      environment: 'production',
    });
  });

  it('streams JSON lines, one decision or error per line, with line numbers', async () => {
    const input = [
      '{"userId":"bob"}',
      'not json',
      '',
      '{"userId":5}',
      '{"sessionId":"carol","region":"us_east"}',
    ].join('\n');
    const result = await runCli(['decide', '--env', 'production', '--input', '-'], { input });
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({
      line: 1,
      backend: 'perplexity',
      cohort: 'perplexity',
      bucket: 8.63956175945689,
    });
    expect(lines[1]).toEqual({
      line: 2,
      error:
        'malformed JSON: a word JSON does not know: strings take double quotes, and the only words are true, false and null at column 1',
    });
    expect(lines[2]).toEqual({
      line: 4,
      error: 'invalid routing context: userId must be a string, got number',
    });
    expect(lines[3]).toMatchObject({ line: 5, rolloutPercentage: 25 });
    expect(result.code).toBe(1);
  });

  it('answers a line that is not UTF-8 with its first bad byte, never deciding for U+FFFD; a character across two reads is whole', async () => {
    const latin1 = Buffer.from('{"userId":"jos\u00e9"}\n', 'latin1');
    // A file is read 64 KiB at a time: this line's é starts at byte 65,535 and ends in the next read.
    const long = `{"userId":"zoe","queryText":"${'x'.repeat(65535 - 29)}\u00e9"}\n`;
    expect(Buffer.from(long).indexOf(0xc3)).toBe(65535);
    const input = Buffer.concat([Buffer.from(long), latin1, Buffer.from('{"userId":"jos\u00e9"}')]);
    const { dir } = await tempConfigDir();
    const file = join(dir, 'contexts.jsonl');
    await writeFile(file, input);
    for (const source of ['-', file]) {
      const result = await runCli(['decide', '--env', 'production', '--input', source], { input });
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines[0], source).toMatchObject({ line: 1, cohort: expect.any(String) });
      expect(lines[1], source).toEqual({
        line: 2,
        error: 'malformed JSON: not UTF-8 at column 15 (byte 15 of the line); send UTF-8',
      });
      expect(lines[2], source).toMatchObject({ line: 3, cohort: expect.any(String) });
      expect(result.code, source).toBe(1);
    }
  });
});

describe('flagroute explain', () => {
  it('walks the tree step by step', async () => {
    const result = await runCli(
      ['explain', '--env', 'staging', '--user', 'bob', '--region', 'europe'],
      { env: { LIGHTRAG_ENABLE_CONDITIONAL_ROUTING: 'false' } },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      expect.stringMatching(/^environment staging \(config [0-9a-f]{12}\)$/),
      '  ok 1. integration enabled: integration_enabled is true',
      '  ok 2. forced cohort: force_user_cohort is null',
      '  ok 3. circuit breaker: the breaker lets requests through',
      '  ok 4. quality gate: the quality gate is open',
      '  ok 5. conditional rules: conditional routing is off',
      '  ok 6. rollout percentage: region europe has its own rollout: 10 %',
      `  -> 7. assignment: bucket 8.6396 of userId "bob" against region europe's 10 % (A/B: candidate arm up to 5): cohort perplexity, backend perplexity`,
      expect.stringMatching(
        /^decision: perplexity \(reason user_cohort_assignment, cohort perplexity, bucket 8\.6396 vs 10 %, config [0-9a-f]{12}\)$/,
      ),
      '',
    ]);
  });

  it('shows the rules tried with their facts', async () => {
    const result = await runCli(
      ['explain', '--user', 'x', '--query', 'short', '--query-type', 'general'],
      {
        env: { LIGHTRAG_ENABLE_CONDITIONAL_ROUTING: 'true' },
      },
    );
    expect(result.stdout).toContain(
      '-> 5. conditional rules: no rule matched: complex_queries did not match {"queryLength":5}; metabolomics_queries did not match {"queryType":"general"}',
    );
    expect(result.stdout).toMatch(/decision: perplexity \(reason conditional_rule/);
  });
});

describe('flagroute simulate', () => {
  it('reports the split beside the expected one with a chi-square p-value', async () => {
    const result = await runCli(['simulate', '--env', 'staging', '--users', '4000', '--json'], {
      env: { LIGHTRAG_ENABLE_CONDITIONAL_ROUTING: 'false' },
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.rolloutPercentage).toBe(50);
    expect(report.cohorts.lightrag.expected).toBe(0.25);
    expect(report.cohorts.control.expected).toBe(0.5);
    const total =
      report.cohorts.lightrag.count +
      report.cohorts.perplexity.count +
      report.cohorts.control.count;
    expect(total).toBe(4000);
    expect(report.chiSquare.dof).toBe(2);
    expect(report.chiSquare.pValue).toBeGreaterThan(0.001);
    expect(report.backends.lightrag).toBe(report.cohorts.lightrag.count);
  });

  it('prints a table a product owner can read', async () => {
    const result = await runCli([
      'simulate',
      '--env',
      'production',
      '--users',
      '2000',
      '--region',
      'us_east',
    ]);
    expect(result.stdout).toMatch(/rollout 25 %, A\/B testing on/);
    expect(result.stdout).toMatch(/^lightrag\s+\d+\s+[\d.]+ %\s+12\.50 %$/m);
    expect(result.stdout).toMatch(/^chi-square [\d.]+ with 2 degrees of freedom, p = [\d.]+: /m);
  });
});
