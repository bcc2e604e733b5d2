import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';
import { runCli } from '../helpers/run-cli.js';

const LOG = join(EXPERIMENT_FIXTURES, 'tails.jsonl');
const reference = JSON.parse(readFileSync(join(EXPERIMENT_FIXTURES, 'tails.json'), 'utf8')) as {
  tails: Array<{ difference: number; interval: [number, number] }>;
  capped: Array<{ metric: string; arms: Record<string, { cap: number; capped: number }> }>;
};

describe('flagroute experiment report: the tail test and capping', () => {
  it('shows p95 and p99 per arm with their difference, and what --cap winsorized, in text, JSON and HTML', async () => {
    const { dir } = await tempConfigDir();
    const html = join(dir, 'report.html');
    const cap = ['--cap', 'response_time=99,cost_per_query=95'];
    const text = await runCli(['experiment', 'report', '--events', LOG, ...cap, '--html', html]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /tail test of response time, per user: each arm's percentile with Woodruff's 95 % interval/,
    );
    expect(text.stdout).toMatch(
      /p95\s+3\.604 s \[3\.178 s, 4\.424 s\]\s+2\.572 s \[2\.245 s, 2\.818 s\]\s+\+1\.032 s \[\+0\.347 s, \+1\.718 s\]\s+0\.00316\s+LightRAG slower/,
    );
    expect(text.stdout).toMatch(/p99\s+6\.881 s .*LightRAG slower/);
    expect(text.stdout).toMatch(
      /response time\s+99th\s+6\.881 s \(14 of 1440 values\)\s+3\.686 s \(14 of 1418 values\)/,
    );
    expect(text.stdout).toMatch(/cost per query\s+95th\s+\$0\.00486 \(75 of 1502 values\)/);

    const json = await runCli(['experiment', 'report', '--events', LOG, ...cap, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    for (const [index, expected] of reference.tails.entries()) {
      expect(report.tails.comparisons[index].difference).toBeCloseTo(expected.difference, 10);
      expect(report.tails.comparisons[index].interval[0]).toBeCloseTo(expected.interval[0], 10);
    }
    for (const expected of reference.capped) {
      const entry = report.capping.find((c: { metric: string }) => c.metric === expected.metric);
      expect(entry.arms.lightrag.cap).toBe(expected.arms.lightrag!.cap);
      expect(entry.arms.perplexity.capped).toBe(expected.arms.perplexity!.capped);
    }

    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Tail test</h2>');
    expect(page).toMatch(/<table id="tail-test">[\s\S]*<th scope="row">p95<\/th><td>3\.604 s/);
    expect(page).toMatch(/<table id="capping">[\s\S]*6\.881 s \(14 of 1440 values\)/);
  }, 60_000);

  it("reads capping and the percentiles from the environment's experiment: block; --cap overrides it", async () => {
    const { dir } = await tempConfigDir({
      'environments/staging.yaml':
        'experiment:\n  capping: {cost_per_query: 95}\n  tail_percentiles: [90]\n',
    });
    const base = ['experiment', 'report', '--events', LOG, '--config-dir', dir, '--json'];
    const fromFile = await runCli([...base, '--env', 'staging']);
    expect(fromFile.code).toBe(0);
    const report = JSON.parse(fromFile.stdout);
    expect(report.capping.map((c: { metric: string }) => c.metric)).toEqual(['cost_per_query']);
    expect(report.tails.comparisons.map((c: { percentile: number }) => c.percentile)).toEqual([90]);
    const overridden = await runCli([...base, '--cap', 'response_time=99'], {
      env: { FLAGROUTE_ENV: 'staging' },
    });
    expect(overridden.code).toBe(0);
    expect(JSON.parse(overridden.stdout).capping.map((c: { metric: string }) => c.metric)).toEqual([
      'response_time',
    ]);
  });

  it('refuses a bad percentile at its place in the file, and bad flags by name', async () => {
    const { dir } = await tempConfigDir({
      'environments/development.yaml': 'experiment:\n  capping: {response_time: 100}\n',
    });
    const file = await runCli(['experiment', 'report', '--events', LOG, '--config-dir', dir]);
    expect(file.code).not.toBe(0);
    expect(file.stderr).toContain(
      'environments/development.yaml:2:28: response_time must be a percentile above 50 and below 100, got 100',
    );
    expect(file.stdout).toBe('');
    const cases = [
      [
        ['--cap', 'latency=99'],
        '--cap can cap response_time and cost_per_query only, got "latency"',
      ],
      [
        ['--cap', 'response_time'],
        '--cap must be metric=percentile (response_time=99), got "response_time"',
      ],
      [
        ['--cap', 'response_time=100'],
        '--cap response_time must be a percentile above 50 and below 100, got 100',
      ],
      [
        ['--tail-percentiles', '95,30'],
        '--tail-percentiles must hold a percentile above 50 and below 100, got 30',
      ],
    ] as const;
    // Each refuses before reading a line and is independent of the others: run at once.
    const refused = await Promise.all(
      cases.map(([flags]) => runCli(['experiment', 'report', '--events', LOG, ...flags])),
    );
    for (const [index, [flags, message]] of cases.entries()) {
      expect(refused[index]!.code, flags.join(' ')).toBe(2);
      expect(refused[index]!.stderr).toContain(message);
    }
  }, 60_000);
});
