import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment } from '../../src/experiment/analyze-experiment.js';
import { addMoments, rebasedArm } from '../../src/experiment/arm-moments.js';
import { settingsOf } from '../../src/experiment/experiment-settings.js';
import { statsFromPrometheus } from '../../src/experiment/prometheus-source.js';
import { covariatesOfRequests } from '../../src/experiment/request-covariates.js';
import { varianceReduction } from '../../src/experiment/variance-reduction.js';
import { type Covariates, metricValues, OUTCOME_METRICS } from '../../src/metrics/index.js';
import { RequestCovariateSums } from '../../src/outcomes/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { freePort } from '../helpers/free-port.js';
import { runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

const PROMETHEUS = '/usr/bin/prometheus';
const installed = spawnSync(PROMETHEUS, ['--version']).status === 0;
// In CI a missing Prometheus is a failure (.ci/run installs it), never a skip.
const runIt = installed || process.env.CI === 'true' ? it : it.skip;

async function startPrometheus(targets: string[]): Promise<string> {
  if (!installed) throw new Error(`${PROMETHEUS} is missing: .ci/run installs Debian's prometheus`);
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-prometheus-'));
  const port = await freePort();
  const config = `global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: flagroute
    static_configs: [{targets: [${targets.map((target) => `"${target}"`).join(', ')}]}]
`;
  await writeFile(join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  onTestEnd(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });
  return `http://127.0.0.1:${port}`;
}

type PromRow = { metric: Record<string, string>; value: [number, string] };

/** Asks Prometheus until `accept` holds for the answer, for at most 60 s (scrapes every 1 s). */
async function queryUntil(
  base: string,
  query: string,
  accept: (result: PromRow[]) => boolean,
): Promise<PromRow[]> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await response.json()) as { data?: { result: PromRow[] } };
      last = body;
      if (body.data && accept(body.data.result)) return body.data.result;
    } catch (error) {
      last = error; // Prometheus still starting
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Prometheus never answered ${query} as expected; last: ${JSON.stringify(last)}`);
}

describe('a real Prometheus scraping two instances', () => {
  runIt(
    'sum by (cohort) of the sufficient statistics equals what the two instances recorded',
    async () => {
      const temp = await tempConfigDir({
        'environments/development.yaml':
          'rollout_percentage: 100\nenable_ab_testing: true\nenable_quality_metrics: false\nrollback_triggers: {enabled: false}\n',
      });
      const first = await testServer({
        configDir: temp.dir,
        watch: false,
        ingestToken: INGEST_TOKEN,
      });
      const second = await testServer({
        configDir: temp.dir,
        watch: false,
        ingestToken: INGEST_TOKEN,
      });
      const expected: Record<string, { n: number; sum: number; squares: number }> = {};
      for (const [server, count] of [
        [first, 60],
        [second, 90],
      ] as const) {
        for (let index = 0; index < count; index += 1) {
          const decided = (await post(`${server.url}/v1/decide`, { userId: `${count}-${index}` }))
            .body as { decisionId: string; cohort: string };
          const quality = ((index * 7) % 11) / 10;
          await postOutcomes(`${server.url}/v1/outcomes`, {
            decisionId: decided.decisionId,
            success: true,
            quality,
          });
          expected[decided.cohort] ??= { n: 0, sum: 0, squares: 0 };
          const entry = expected[decided.cohort]!;
          entry.n += 1;
          entry.sum += quality;
          entry.squares += quality * quality;
        }
      }
      const base = await startPrometheus(
        [first.url, second.url].map((url) => url.replace('http://', '')),
      );
      await queryUntil(
        base,
        'count(up{job="flagroute"} == 1)',
        (result) => result[0]?.value[1] === '2',
      );
      for (const [suffix, key] of [
        ['count', 'n'],
        ['sum', 'sum'],
        ['sum_of_squares', 'squares'],
      ] as const) {
        const result = await queryUntil(
          base,
          `sum by (cohort) (flagroute_outcome_metric_${suffix}{metric="quality_score"})`,
          (rows) => rows.length === 3,
        );
        for (const row of result) {
          const want = expected[row.metric.cohort!]?.[key] ?? 0;
          expect(Number(row.value[1]), `${suffix} ${row.metric.cohort}`).toBeCloseTo(want, 9);
        }
      }
      // The experiment report of the whole fleet, from Prometheus, by the library and the CLI.
      const fleet = await statsFromPrometheus(base);
      const [a, b] = [first.router.outcomeMoments(), second.router.outcomeMoments()];
      for (const arm of ['lightrag', 'perplexity'] as const) {
        for (const metric of OUTCOME_METRICS) {
          const want = addMoments(a[arm][metric], b[arm][metric]);
          const got = fleet.arms[arm][metric]!;
          // Every instance sums around the metric's fixed reference, and says which (label shift).
          expect(got.shift, `${arm} ${metric} shift`).toBe(want.shift);
          expect(got.n, `${arm} ${metric} n`).toBe(want.n);
          expect(got.sum).toBeCloseTo(want.sum, 9);
          expect(got.sum_of_squares).toBeCloseTo(want.sum_of_squares, 9);
        }
      }
      const cli = await runCli(['experiment', 'report', '--prometheus', base, '--json']);
      expect(cli.stderr).toBe('');
      const report = JSON.parse(cli.stdout);
      expect(report.unit).toBe('request');
      expect(report.units).toEqual({
        lightrag: a.lightrag.success_rate.n + b.lightrag.success_rate.n,
        perplexity: a.perplexity.success_rate.n + b.perplexity.success_rate.n,
      });
      expect(report.metrics.quality_score.p_value).toBeCloseTo(
        analyzeExperiment(fleet).metrics.quality_score.p_value!,
        12,
      );
      // Over a window: each instance's growth from the raw samples, never extrapolated. Every
      // outcome so far was recorded within the last hour, before the first scrape.
      const expectWindow = async (want: ReturnType<typeof first.router.outcomeMoments>[]) => {
        const windowed = await statsFromPrometheus(base, { range: '1h' });
        for (const arm of ['lightrag', 'perplexity'] as const) {
          for (const metric of OUTCOME_METRICS) {
            const sum = want.reduce((total, moments) => addMoments(total, moments[arm][metric]), {
              n: 0,
              sum: 0,
              sum_of_squares: 0,
            });
            const read = windowed.arms[arm][metric] ?? { n: 0, sum: 0, sum_of_squares: 0 };
            const got = rebasedArm(read, 0);
            expect(got.n, `${arm} ${metric} n over 1h`).toBe(sum.n);
            expect(got.sum).toBeCloseTo(sum.sum, 9);
            expect(got.sum_of_squares).toBeCloseTo(sum.sum_of_squares, 9);
          }
        }
      };
      await expectWindow([a, b]);
      // Outcomes after Prometheus began scraping count too, half of them failures.
      for (let index = 0; index < 20; index += 1) {
        const decided = (await post(`${first.url}/v1/decide`, { userId: `late-${index}` }))
          .body as { decisionId: string };
        await postOutcomes(`${first.url}/v1/outcomes`, {
          decisionId: decided.decisionId,
          success: index % 2 === 0,
          latencyMs: 100 + index,
        });
      }
      const later = first.router.outcomeMoments();
      const outcomes = [later, b].reduce(
        (total, moments) =>
          total + moments.lightrag.success_rate.n + moments.perplexity.success_rate.n,
        0,
      );
      await queryUntil(
        base,
        'sum(flagroute_outcome_metric_count{metric="success_rate"})',
        (rows) => rows[0]?.value[1] === String(outcomes),
      );
      await expectWindow([later, b]);
      const ranged = await runCli([
        'experiment',
        'report',
        '--prometheus',
        base,
        '--range',
        '1h',
        '--json',
      ]);
      expect(ranged.stderr).toBe('');
      const windowReport = JSON.parse(ranged.stdout);
      expect(windowReport.units).toEqual({
        lightrag: later.lightrag.success_rate.n + b.lightrag.success_rate.n,
        perplexity: later.perplexity.success_rate.n + b.perplexity.success_rate.n,
      });
      for (const mean of windowReport.metrics.success_rate.mean) {
        expect(mean).toBeGreaterThanOrEqual(0);
        expect(mean).toBeLessThanOrEqual(1);
      }
      const down = await runCli(['experiment', 'report', '--prometheus', 'http://127.0.0.1:9']);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:9 cannot be reached/);
    },
    120_000,
  );

  runIt(
    'request-level covariate sums: summed across two instances they give the adjustment one tally of the union gives, shown as request-level figures',
    async () => {
      const temp = await tempConfigDir({
        'environments/development.yaml':
          'rollout_percentage: 100\nenable_ab_testing: true\nenable_quality_metrics: false\nrollback_triggers: {enabled: false}\n',
      });
      const servers = [
        await testServer({ configDir: temp.dir, watch: false, ingestToken: INGEST_TOKEN }),
        await testServer({ configDir: temp.dir, watch: false, ingestToken: INGEST_TOKEN }),
      ];
      // One tally of every outcome of both instances: what the fleet's sums must add up to.
      const union = new RequestCovariateSums();
      const types = ['factual', 'analytical', 'code'];
      const regions = ['eu', 'us'];
      for (let index = 0; index < 240; index += 1) {
        // Instance 1 sees only some levels, instance 2 others too: columns differ between them.
        const server = servers[index % 3 === 0 ? 0 : 1]!;
        const type = types[index % 3 === 0 ? index % 2 : index % 3]!;
        const region = regions[(index >> 2) % 2]!;
        const complexity = ((index * 37) % 100) / 100;
        const decided = (
          await post(`${server.url}/v1/decide`, {
            userId: `user-${index}`,
            queryType: type,
            region,
            queryComplexity: complexity,
            queryText: 'x'.repeat(1 + ((index * 13) % 60)),
          })
        ).body as { decisionId: string; cohort: string; covariates: Covariates | null };
        expect(decided.covariates).not.toBeNull();
        const outcome = {
          success: index % 17 !== 0,
          latencyMs: 400 + 900 * complexity + (type === 'code' ? 300 : 0) + ((index * 7) % 50),
          quality:
            0.4 + 0.4 * complexity + (type === 'analytical' ? 0.1 : 0) + ((index * 11) % 10) / 100,
        };
        expect(
          await postOutcomes(`${server.url}/v1/outcomes`, {
            decisionId: decided.decisionId,
            ...outcome,
          }),
        ).toMatchObject({ status: 200 });
        const arm = decided.cohort === 'lightrag' ? 0 : decided.cohort === 'perplexity' ? 1 : -1;
        if (arm >= 0) union.add(arm as 0 | 1, metricValues(outcome), decided.covariates!);
      }
      const base = await startPrometheus(
        servers.map((server) => server.url.replace('http://', '')),
      );
      await queryUntil(
        base,
        'count(up{job="flagroute"} == 1)',
        (result) => result[0]?.value[1] === '2',
      );
      const count = union.snapshot().arms.reduce((total, arm) => total + arm[1]!.n, 0);
      await queryUntil(
        base,
        'sum(flagroute_outcome_covariate_products{metric="success_rate", row="one", column="one"})',
        (rows) => rows[0]?.value[1] === String(count),
      );
      const cli = await runCli(['experiment', 'report', '--prometheus', base, '--json']);
      expect(cli.stderr).toBe('');
      const reduction = JSON.parse(cli.stdout).variance_reduction;
      expect(reduction).toMatchObject({ unit: 'request', request_level: true });
      const expected = varianceReduction(covariatesOfRequests(union.snapshot())!, settingsOf({}));
      expect([...reduction.columns].sort()).toEqual([...expected.columns].sort());
      for (const metric of ['response_time', 'quality_score', 'success_rate'] as const) {
        for (const method of ['regression', 'post_stratification'] as const) {
          const [got, want] = [
            reduction.metrics[metric][method],
            expected.metrics[metric][method]!,
          ];
          expect(got.raw.estimate, `${metric} ${method} raw`).toBeCloseTo(want.raw.estimate, 9);
          expect(got.adjusted.estimate, `${metric} ${method}`).toBeCloseTo(
            want.adjusted.estimate,
            9,
          );
          expect(got.adjusted.se).toBeCloseTo(want.adjusted.se, 9);
          expect(got.variance_reduction).toBeCloseTo(want.variance_reduction, 7);
        }
      }
      // The covariates explain the response time here: the adjustment removes most of its variance.
      expect(expected.metrics.response_time.regression!.variance_reduction).toBeGreaterThan(0.5);
      const text = await runCli(['experiment', 'report', '--prometheus', base]);
      expect(text.stdout).toMatch(/per request \(request-level figures, not a test\)/);
      // Each instance's own tally, read live (GET /v1/experiment), is request-level too.
      const first = servers[0]!;
      const live = (await (await fetch(`${first.url}/v1/experiment`)).json()) as {
        variance_reduction: {
          request_level: boolean;
          metrics: Record<string, Record<string, { adjusted: { estimate: number } }>>;
        };
      };
      const own = varianceReduction(
        covariatesOfRequests(first.router.outcomeCovariates.snapshot())!,
        settingsOf({}),
      );
      expect(live.variance_reduction.request_level).toBe(true);
      expect(
        live.variance_reduction.metrics.response_time!.regression!.adjusted.estimate,
      ).toBeCloseTo(own.metrics.response_time.regression!.adjusted.estimate, 12);
    },
    120_000,
  );
});
