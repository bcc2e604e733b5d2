import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onTestEnd } from '../helpers/cleanup.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { post, testServer } from '../helpers/test-server.js';

const PROMETHEUS = '/usr/bin/prometheus';
const installed = spawnSync(PROMETHEUS, ['--version']).status === 0;
// In CI a missing Prometheus is a failure (.ci/run installs it), never a skip.
const runIt = installed || process.env.CI === 'true' ? it : it.skip;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

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
      const first = await testServer({ configDir: temp.dir, watch: false });
      const second = await testServer({ configDir: temp.dir, watch: false });
      const expected: Record<string, { n: number; sum: number; squares: number }> = {};
      for (const [server, count] of [
        [first, 60],
        [second, 90],
      ] as const) {
        for (let index = 0; index < count; index += 1) {
          const decided = (await post(`${server.url}/v1/decide`, { userId: `${count}-${index}` }))
            .body as { decisionId: string; cohort: string };
          const quality = ((index * 7) % 11) / 10;
          await post(`${server.url}/v1/outcomes`, {
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
    },
    120_000,
  );
});
