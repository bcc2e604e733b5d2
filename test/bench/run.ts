import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { benchmarkChurn, renderChurn } from './churn.js';
import {
  benchmarkExperiment,
  EXPERIMENT_SIZES,
  type ExperimentBenchResult,
  renderExperiment,
} from './experiment.js';
import { FULL_RUN, runBenchmark } from './harness.js';
import { benchmarkHttp, renderHttp } from './http.js';
import { benchmarkLogging, renderLogging } from './logging.js';
import { benchmarkOutcomeIngest, renderOutcomeIngest } from './outcome-ingest.js';
import { benchmarkPropagation, renderPropagation } from './propagation.js';
import { benchmarkReload, renderReload } from './reload.js';
import { renderMarkdown, targetLines } from './report.js';
import { benchmarkColdStart, benchmarkHugeIds, renderStartup } from './startup.js';

const docs = join(process.cwd(), 'docs');
const started = Date.now();
/** The machine's load average (1, 5, 15 minutes) as each part began: printed, and in the doc. */
const loads: { part: string; seconds: number; load: number[] }[] = [];
const step = (line: string) => {
  const seconds = (Date.now() - started) / 1000;
  const load = loadavg();
  loads.push({ part: line, seconds, load });
  process.stderr.write(
    `[${seconds.toFixed(0)} s] ${line} (load average ${load.map((value) => value.toFixed(2)).join(', ')})\n`,
  );
};
step('measuring decisions (the peers, four workloads), memory and reload latency');
const result = await runBenchmark(
  {
    ...FULL_RUN,
    log: (line) =>
      process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`),
  },
  {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    node: process.versions.node,
    platform: `${platform()} ${release()}`,
    date: new Date().toISOString().slice(0, 10),
    loadAverage: loadavg(),
  },
);
step('measuring the HTTP service');
const http = await benchmarkHttp(process.cwd());
step('measuring experiment reports against DuckDB');
// FLAGROUTE_BENCH_EVENTS=1000000,10000000 (a comma-separated list) overrides the sizes.
const experiment: ExperimentBenchResult[] = [];
for (const events of process.env.FLAGROUTE_BENCH_EVENTS?.split(',').map(Number) ??
  EXPERIMENT_SIZES) {
  experiment.push(await benchmarkExperiment(events));
}
step('measuring detailed logging');
const logging = await benchmarkLogging(process.cwd());
step('measuring the CLI cold start and 10,000 distinct 1 MiB user ids');
const coldStart = await benchmarkColdStart(process.cwd());
const hugeIds = await benchmarkHugeIds(process.cwd());
step('measuring reloads of up to 10,000 rules while decisions run');
const reload = await benchmarkReload();
step('measuring decisions for 3,000,000 users never seen before');
const churn = await benchmarkChurn();
step('measuring kill-switch propagation to three instances on PostgreSQL (200 rollbacks)');
const propagation = await benchmarkPropagation(process.cwd());
step('measuring outcome ingest into PostgreSQL against a bare COPY');
const ingest = await benchmarkOutcomeIngest();
step('done');
const markdown = [
  renderMarkdown(result),
  ...renderLoads(loads),
  ...renderLogging(logging),
  ...renderStartup(coldStart, hugeIds),
  ...renderReload(reload),
  ...renderChurn(churn),
  ...renderPropagation(propagation),
  ...renderHttp(http),
  ...renderExperiment(experiment),
  ...renderOutcomeIngest(ingest),
].join('\n');
await writeFile(
  join(docs, 'benchmarks.json'),
  `${JSON.stringify({ ...result, loads, http, experiment, logging, coldStart, hugeIds, reload, churn, propagation, ingest }, null, 2)}\n`,
);
await writeFile(join(docs, 'benchmarks.md'), markdown);
process.stdout.write(`${markdown}\n`);
process.stderr.write(
  `${targetLines(result).join('\n')}\nwrote docs/benchmarks.md and docs/benchmarks.json in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);

/** The load section of docs/benchmarks.md: what else the machine ran, part by part. */
function renderLoads(parts: typeof loads): string[] {
  const lines = [
    '## Load on the machine during this run',
    '',
    `The machine is shared: other engineers' test suites ran beside this benchmark. Ratios are taken between systems measured in the same run, alternating, so that both sides meet the same load; absolute times are not comparable across runs. Load average (1, 5 and 15 minutes, on ${cpus().length} cores) as each part began:`,
    '',
    '| at s | part | load average |',
    '| ---: | --- | --- |',
  ];
  for (const { part, seconds, load } of parts) {
    lines.push(
      `| ${seconds.toFixed(0)} | ${part} | ${load.map((value) => value.toFixed(2)).join(', ')} |`,
    );
  }
  lines.push('');
  return lines;
}
