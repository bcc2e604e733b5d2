import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment } from '../../src/experiment/analyze-experiment.js';
import { EventAccumulator } from '../../src/experiment/event-accumulator.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import {
  EXPERIMENT_FIXTURES,
  fixtureEvents,
  METRIC_STATISTICS,
} from '../helpers/experiment-fixtures.js';
import { runCli } from '../helpers/run-cli.js';

const CLEAR = join(EXPERIMENT_FIXTURES, 'clear-winner.jsonl');
const events = () => fixtureEvents('clear-winner');

/** Deep equality with numbers equal to 1e-9 (relative). */
function expectNear(actual: unknown, expected: unknown, path = 'report'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    const scale = Math.max(Math.abs(expected), 1e-300);
    expect(Math.abs((actual as number) - expected) / scale, path).toBeLessThan(1e-9);
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) {
      expectNear((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('flagroute experiment', () => {
  it('report --json prints the documented shape, equal to the library; .gz and several files read as one', async () => {
    const { dir } = await tempConfigDir();
    const text = readFileSync(CLEAR, 'utf8');
    const lines = text.trim().split('\n');
    const half = Math.floor(lines.length / 2);
    writeFileSync(join(dir, 'a.jsonl'), `${lines.slice(0, half).join('\n')}\n`);
    writeFileSync(join(dir, 'b.jsonl.gz'), gzipSync(`${lines.slice(half).join('\n')}\n`));
    const result = await runCli([
      'experiment',
      'report',
      '--events',
      join(dir, 'a.jsonl'),
      join(dir, 'b.jsonl.gz'),
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining([
        'unit',
        'alpha',
        'arms',
        'units',
        'srm',
        'metrics',
        'winner',
        'confidence_level',
        'verdict',
      ]),
    );
    expect(report.arms).toEqual({ treatment: 'lightrag', baseline: 'perplexity' });
    expect(Object.keys(report.srm)).toEqual(
      expect.arrayContaining(['chi_square', 'p_value', 'mismatch']),
    );
    for (const metric of Object.values(report.metrics) as Record<string, unknown>[]) {
      expect(Object.keys(metric)).toEqual(
        expect.arrayContaining([...METRIC_STATISTICS, 'significant', 'better']),
      );
    }
    const library = JSON.parse(JSON.stringify(analyzeExperiment(events())));
    // Equal up to the order of floating-point additions (the files are read part by part).
    expectNear(report.metrics, library.metrics);
    expect(report.winner).toBe(library.winner);
  });

  it('report prints a table a product owner can read, and writes a self-contained HTML file', async () => {
    const { dir } = await tempConfigDir();
    const html = join(dir, 'report.html');
    const result = await runCli([
      'experiment',
      'report',
      '--events',
      CLEAR,
      '--guardrails',
      'success_rate',
      'satisfaction',
      '--html',
      html,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /quality score \(primary\)\s+0\.849 \(n 287\)\s+0\.778 \(n 289\)\s+\+9\.2 % \[\+8\.2 %, \+10\.3 %\]\s+< 0\.0001\s+LightRAG better/,
    );
    expect(result.stdout).toMatch(/sample ratio: 300 vs 300 users .* ok/);
    expect(result.stdout).toMatch(/LightRAG wins on quality_score \(\+9\.2 %\)/);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/(src|href)=["']?https?:/);
    expect(page.match(/<svg /g)).toHaveLength(5);
    expect(page).toContain('LightRAG wins on quality_score');
  });

  it('report --stats reads warehouse statistics; bad files and flags are named', async () => {
    const { dir } = await tempConfigDir();
    const accumulator = new EventAccumulator();
    for (const event of events()) accumulator.add(event);
    const stats = join(dir, 'stats.json');
    writeFileSync(stats, JSON.stringify(accumulator.stats('user')));
    const fromStats = await runCli(['experiment', 'report', '--stats', stats, '--json']);
    expect(fromStats.code).toBe(0);
    expect(JSON.parse(fromStats.stdout).metrics).toEqual(
      JSON.parse(JSON.stringify(analyzeExperiment(events()).metrics)),
    );
    writeFileSync(stats, JSON.stringify({ unit: 'user', arms: { lightrag: {} } }));
    const bad = await runCli(['experiment', 'report', '--stats', stats]);
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stderr).toContain(`${stats}: arms: missing field "perplexity"`);
    // A file that cannot be read, or is no JSON, in words: not Node's "ENOENT: ... open '...'".
    writeFileSync(stats, '{\n  "unit": "user",\n  "arms": {"lightrag": {}, "salt": s3cr3t}\n}\n');
    for (const [file, said] of [
      [join(dir, 'none.json'), `cannot read ${join(dir, 'none.json')}: no such file`],
      [dir, `cannot read ${dir}: it is a directory`],
      [
        stats,
        `${stats}:3:36: not JSON: a word JSON does not know after ':': strings take double quotes, and the only words are true, false and null`,
      ],
    ] as const) {
      const unread = await runCli(['experiment', 'report', '--stats', file]);
      expect(unread.code).toBe(1);
      expect(unread.stderr).toBe(`error: ${said}\n`);
    }
    const html = await runCli([
      'experiment',
      'report',
      '--events',
      CLEAR,
      '--html',
      join(dir, 'missing', 'report.html'),
    ]);
    expect(html.code).toBe(2);
    expect(html.stderr).toBe(
      `error: cannot write --html ${join(dir, 'missing', 'report.html')}: its directory does not exist\n`,
    );
    const none = await runCli(['experiment', 'report']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name exactly one source/);
    const alpha = await runCli(['experiment', 'report', '--events', CLEAR, '--alpha', '2']);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toMatch(/--alpha must be above 0 and below 0.5, got 2/);
    const metric = await runCli(['experiment', 'report', '--events', CLEAR, '--primary', 'speed']);
    expect(metric.stderr).toMatch(/--primary must be one of response_time, success_rate/);
    const missing = await runCli(['experiment', 'report', '--events', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl/);
  });

  it('report names malformed lines by file:line on stderr and still reports', async () => {
    const { dir } = await tempConfigDir();
    const file = join(dir, 'events.jsonl');
    const lines = readFileSync(CLEAR, 'utf8').trim().split('\n');
    lines.splice(2, 0, '{oops', '{"time":"x"}');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await runCli(['experiment', 'report', '--events', file, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${file}:3: skipped: not JSON`);
    expect(result.stderr).toContain(`${file}:4: skipped: missing field "cohort"`);
    expect(JSON.parse(result.stdout).events.malformed).toBe(2);
  });

  it('a bad time on an event line is said in words, with file:line, never as a regular expression', async () => {
    const { dir } = await tempConfigDir();
    const file = join(dir, 'events.jsonl');
    const lines = readFileSync(CLEAR, 'utf8').trim().split('\n');
    const at = (time: string) => JSON.stringify({ ...JSON.parse(lines[0]!), time });
    // The shape was held to its digits only: month 13 passed and was then read as no time.
    lines.splice(2, 0, at('yesterday'), at('2026-13-01T10:00:00Z'), at('2026-12-07 10:00:00'));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await runCli(['experiment', 'report', '--events', file, '--json']);
    expect(result.code).toBe(0);
    const allowed =
      'time must be an ISO 8601 time with its zone, such as 2026-12-07T10:00:00Z or 2026-12-07T11:00:00.250+01:00';
    expect(result.stderr).toContain(`${file}:3: skipped: ${allowed}, got "yesterday"`);
    expect(result.stderr).toContain(`${file}:4: skipped: ${allowed}, got "2026-13-01T10:00:00Z"`);
    expect(result.stderr).toContain(`${file}:5: skipped: ${allowed}, got "2026-12-07 10:00:00"`);
    expect(result.stderr).not.toMatch(/pattern|\\d|\^/);
    expect(JSON.parse(result.stdout).events.malformed).toBe(3);
  });

  it('plan gives units per arm and the days at the traffic in the events', async () => {
    const given = await runCli([
      'experiment',
      'plan',
      '--metric',
      'quality_score',
      '--mde',
      '0.05',
      '--baseline-mean',
      '0.78',
      '--baseline-sd',
      '0.12',
      '--json',
    ]);
    expect(given.code).toBe(0);
    expect(JSON.parse(given.stdout)).toMatchObject({ units_per_arm: 149, days: null });
    const fromData = await runCli([
      'experiment',
      'plan',
      '--metric',
      'quality_score',
      '--mde',
      '0.02',
      '--events',
      CLEAR,
    ]);
    expect(fromData.code).toBe(0);
    expect(fromData.stdout).toMatch(
      /quality_score: \d+ units per arm .* about [\d.]+ days at \d+ units a day/,
    );
    // A burst (every user within 4 ms) is no day's traffic: it made "about 0.0 days at
    // 345600000 units a day"; a plan shorter than a day is said in hours and minutes.
    const { dir } = await tempConfigDir();
    const burst = join(dir, 'burst.jsonl');
    const line = (user: number, arm: string) =>
      JSON.stringify({
        time: `2026-12-07T10:00:00.00${user % 5}Z`,
        cohort: arm,
        backend: arm,
        userId: `u${user}-${arm}`,
        success: true,
        quality: 0.7 + (user % 5) * 0.05,
      });
    const lines = Array.from({ length: 40 }, (_, user) => [
      line(user, 'lightrag'),
      line(user, 'perplexity'),
    ]);
    writeFileSync(burst, `${lines.flat().join('\n')}\n`);
    const planOf = (...more: string[]) =>
      runCli(['experiment', 'plan', '--metric', 'quality_score', '--mde', '0.05', ...more]);
    const short = await planOf('--events', burst);
    expect(short.code, short.stderr).toBe(0);
    expect(short.stdout).toContain('traffic unknown (give --units-per-day or --events)');
    expect(short.stdout).toContain(
      "note: the events span only 0s, too short to tell a day's traffic (at least 1h): give --units-per-day",
    );
    const busy = await planOf('--events', burst, '--units-per-day', '4800');
    expect(busy.stdout).toMatch(/; about 1h at 4800 units a day\n/);
    const bad = await runCli(['experiment', 'plan', '--metric', 'quality_score', '--mde', '0']);
    expect(bad.stderr).toMatch(/--mde must be above 0/);
  });
});
