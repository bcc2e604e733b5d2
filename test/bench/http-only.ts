/**
 * The HTTP part of the bench alone (`node dist-bench/bench/http-only.js [ROUNDS] [SECONDS] [SEARCH_STEPS] [SEARCH_SECONDS]`,
 * from the repository, after `npm run build` and `tsc -p tsconfig.bench.json`): prints the
 * section of docs/benchmarks.md that `npm run bench` writes, and the raw figures as JSON on
 * stderr, without the rest of the bench.
 */
import { loadavg } from 'node:os';
import { benchmarkHttp, renderHttp } from './http.js';

const [rounds = 3, seconds = 4, searchSteps = 6, searchSeconds = 2] = process.argv
  .slice(2)
  .map(Number);
const loadAt = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
const before = loadAt();
const result = await benchmarkHttp(process.cwd(), rounds, seconds, searchSteps, searchSeconds);
process.stdout.write(
  `${renderHttp(result).join('\n')}\nload average (1, 5, 15 min): ${before} before, ${loadAt()} after\n`,
);
process.stderr.write(`${JSON.stringify(result)}\n`);
