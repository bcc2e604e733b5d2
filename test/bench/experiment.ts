import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One timed run of one side. */
export interface ReportRun {
  target: 'flagroute' | 'duckdb';
  ms: number;
  /** CPU time of the process, all its threads: what a loaded machine disturbs least. */
  cpuMs: number;
  maxRssMb: number;
}

/** The experiment-report figures. */
export interface ExperimentBenchResult {
  events: number;
  /** Users the events are drawn from, uniformly. */
  users: number;
  /** Distinct users in the file. */
  distinctUsers: number;
  fileMb: number;
  rounds: ReportRun[][];
  /** Median flagroute time / median DuckDB time. */
  ratio: number;
  /** The same for CPU time. */
  cpuRatio: number;
}

/** Target 5 of issue 28: the report at most twice DuckDB's time at 1e6 and 1e7 events. */
export const EXPERIMENT_TARGET = 2;

const DAY_START = Date.UTC(2026, 10, 26);
const CHILD = join(import.meta.dirname, 'experiment-child.js');

/**
 * Writes `events` outcome events of `users` users (half per arm, 4 % failures), deterministic,
 * in the event log's format; returns how many distinct users it wrote.
 */
async function writeEvents(file: string, events: number, users: number): Promise<number> {
  const seen = new Uint8Array(users);
  const unitNames: string[] = [];
  let distinct = 0;
  const out = createWriteStream(file);
  let seed = 12345;
  const random = () => {
    // Math.imul: a product of two 31-bit numbers in doubles loses its low bits, and the
    // sequence falls into a short cycle (16,282 users out of a million draws).
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  let buffer = '';
  for (let i = 0; i < events; i += 1) {
    const user = Math.floor(random() * users);
    if (seen[user] === 0) {
      seen[user] = 1;
      distinct += 1;
    }
    const arm = user % 2 ? 'lightrag' : 'perplexity';
    const success = random() > 0.04;
    // As the event log writes a line: the time to the millisecond, the unit as 32 hex digits,
    // the decision's id and the configuration's version.
    const time = new Date(DAY_START + Math.floor((i / events) * 86_400_000)).toISOString();
    unitNames[user] ??= createHash('sha256').update(`unit:${user}`).digest('hex').slice(0, 32);
    buffer += `{"time":"${time}","cohort":"${arm}","backend":"${arm}","success":${success},"unit":"${unitNames[user]}"`;
    if (success) {
      buffer += `,"latencyMs":${(1500 + random() * 1000).toFixed(1)},"quality":${(0.7 + random() * 0.2).toFixed(3)},"costUsd":${(0.01 * random()).toFixed(5)}`;
    }
    buffer += `,"decisionId":"${i.toString(16).padStart(8, '0')}-5f1c-4a8e-9b2d-7c3e${(i % 65_536).toString(16).padStart(8, '0')}","configVersion":"3f9a1c2b7d4e"`;
    buffer += '}\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  out.end(buffer);
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
  return distinct;
}

function runSide(target: ReportRun['target'], file: string): Promise<ReportRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, target, file], { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      resolve({ target, ...(JSON.parse(stdout) as Omit<ReportRun, 'target'>) });
    });
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * `flagroute experiment report`'s reading path over `events` generated events against DuckDB
 * computing the same per-arm sums from the same file, alternating, each in its own process.
 */
export async function benchmarkExperiment(
  events = 10_000_000,
  users = 1_000_000,
  rounds = 3,
): Promise<ExperimentBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-bench-events-'));
  try {
    const file = join(dir, 'events.jsonl');
    const distinctUsers = await writeEvents(file, events, users);
    const fileMb = (await stat(file)).size / 1024 / 1024;
    const results: ReportRun[][] = [];
    for (let round = 0; round < rounds; round += 1) {
      results.push([await runSide('flagroute', file), await runSide('duckdb', file)]);
    }
    const ratioOf = (key: 'ms' | 'cpuMs') =>
      median(results.map(([ours]) => ours![key])) /
      median(results.map(([, theirs]) => theirs![key]));
    return {
      events,
      users,
      distinctUsers,
      fileMb,
      rounds: results,
      ratio: ratioOf('ms'),
      cpuRatio: ratioOf('cpuMs'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The sizes measured, in events: issue 28's target names 1e6 and 1e7. */
export const EXPERIMENT_SIZES = [1_000_000, 10_000_000];

/** The experiment section of docs/benchmarks.md, one table per size. */
export function renderExperiment(results: ExperimentBenchResult[]): string[] {
  const lines = [
    '## Experiment report over an event log',
    '',
    "Generated outcome events (half per arm, 4 % failures, users drawn uniformly from a million; each size says how many distinct users its file has), each line as the event log writes it: the time to the millisecond, the unit (32 hex digits), the metrics, the decision id and the configuration version. flagroute: `readEventFiles` + `reportFromEvents` (every line parsed and validated against the schema, folded at the request and the user unit, the report computed; a large file is read in parts, by this thread and one worker thread per further core). DuckDB (`@duckdb/node-api`): the same sums at both units with `read_json` and `GROUP BY` (per user and arm, then per arm), on every core. Each in its own process, alternating; wall time and CPU time (all the process's threads) from the start of the work, peak memory the process's maximum resident set.",
    '',
  ];
  for (const result of results) {
    lines.push(
      `### ${result.events.toExponential(0).replace('+', '')} events of ${result.distinctUsers.toLocaleString('en')} users (${result.fileMb.toFixed(0)} MiB of JSON lines)`,
      '',
      '| round | flagroute s | CPU s | events/s | peak MiB | DuckDB s | CPU s | events/s | peak MiB |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [index, [ours, theirs]] of result.rounds.entries()) {
      const rate = (run: ReportRun) => ((result.events / run.ms) * 1000).toExponential(2);
      const side = (run: ReportRun) =>
        `${(run.ms / 1000).toFixed(1)} | ${(run.cpuMs / 1000).toFixed(1)} | ${rate(run)} | ${run.maxRssMb.toFixed(0)}`;
      lines.push(`| ${index + 1} | ${side(ours!)} | ${side(theirs!)} |`);
    }
    const spread = (key: 'ms' | 'cpuMs') =>
      result.rounds.map(([ours, theirs]) => (ours![key] / theirs![key]).toFixed(1)).join(', ');
    lines.push(
      '',
      `- time: flagroute / DuckDB = ${result.ratio.toFixed(1)} (median of the rounds; per round ${spread('ms')}; target <= ${EXPERIMENT_TARGET}): ${result.ratio <= EXPERIMENT_TARGET ? 'met' : 'NOT met'}`,
      `- CPU time: flagroute / DuckDB = ${result.cpuRatio.toFixed(1)} (per round ${spread('cpuMs')})`,
      '',
    );
  }
  return lines;
}
