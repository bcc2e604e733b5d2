import { writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { FULL_RUN, runBenchmark } from './harness.js';
import { renderMarkdown, targetLines } from './report.js';

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
  },
);
await writeFile(join(docs, 'benchmarks.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(docs, 'benchmarks.md'), renderMarkdown(result));
process.stdout.write(`${renderMarkdown(result)}\n`);
process.stderr.write(
  `${targetLines(result).join('\n')}\nwrote docs/benchmarks.md and docs/benchmarks.json in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
