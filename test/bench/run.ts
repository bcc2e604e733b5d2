import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { benchmarkChurn, renderChurn } from './churn.js';
import { benchmarkExperiment, renderExperiment } from './experiment.js';
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
process.stderr.write(
  `[${((Date.now() - started) / 1000).toFixed(0)} s] measuring the HTTP service\n`,
);
const http = await benchmarkHttp(process.cwd());
process.stderr.write(
  `[${((Date.now() - started) / 1000).toFixed(0)} s] measuring experiment reports against DuckDB\n`,
);
const experiment = await benchmarkExperiment(
  Number(process.env.FLAGROUTE_BENCH_EVENTS ?? 10_000_000),
);
const step = (line: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`);
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
const markdown = [
  renderMarkdown(result),
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
  `${JSON.stringify({ ...result, http, experiment, logging, coldStart, hugeIds, reload, churn, propagation, ingest }, null, 2)}\n`,
);
await writeFile(join(docs, 'benchmarks.md'), markdown);
process.stdout.write(`${markdown}\n`);
process.stderr.write(
  `${targetLines(result).join('\n')}\nwrote docs/benchmarks.md and docs/benchmarks.json in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
