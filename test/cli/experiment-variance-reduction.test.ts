import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';
import { runCli } from '../helpers/run-cli.js';

const LOG = join(EXPERIMENT_FIXTURES, 'variance-reduction.jsonl');
const reference = JSON.parse(
  readFileSync(join(EXPERIMENT_FIXTURES, 'variance-reduction.json'), 'utf8'),
) as { user: Record<string, Record<string, { adjusted: { estimate: number; se: number } }>> };

describe('flagroute experiment report with query covariates', () => {
  it('shows raw and adjusted differences side by side with the variance reduced, in text, JSON and HTML', async () => {
    const { dir } = await tempConfigDir();
    const html = join(dir, 'report.html');
    const text = await runCli(['experiment', 'report', '--events', LOG, '--html', html]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /variance reduction with query covariates, per user: lengthBucket, complexity, 5 query types, 3 regions/,
    );
    expect(text.stdout).toMatch(
      /response time\s+regression\s+\+0\.014 s \[-0\.015 s, \+0\.043 s\]\s+\+0\.001 s \[-0\.013 s, \+0\.015 s\]\s+77\.6 %/,
    );
    expect(text.stdout).toMatch(/post-stratified by query type/);

    const json = await runCli(['experiment', 'report', '--events', LOG, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      variance_reduction: {
        unit: string;
        request_level: boolean;
        metrics: Record<string, Record<string, { adjusted: { estimate: number; se: number } }>>;
      };
    };
    expect(report.variance_reduction.unit).toBe('user');
    expect(report.variance_reduction.request_level).toBe(false);
    for (const metric of ['quality_score', 'response_time', 'cost_per_query']) {
      for (const method of ['regression', 'post_stratification']) {
        const got = report.variance_reduction.metrics[metric]![method]!.adjusted;
        const expected = reference.user[metric]![method]!.adjusted;
        expect(got.estimate).toBeCloseTo(expected.estimate, 10);
        expect(got.se).toBeCloseTo(expected.se, 10);
      }
    }

    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Variance reduction with query covariates</h2>');
    expect(page).toMatch(/<table id="variance-reduction">/);
    expect(page).toContain('77.6 %');
  });

  it('a log without covariates reports none (older lines read as before)', async () => {
    const result = await runCli([
      'experiment',
      'report',
      '--events',
      join(EXPERIMENT_FIXTURES, 'clear-winner.jsonl'),
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).not.toHaveProperty('variance_reduction');
  });
});
