import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One timed run of one side. */
export interface ReportRun {
  target: 'flagroute' | 'duckdb';
  ms: number;
  maxRssMb: number;
}

/** The experiment-report figures. */
export interface ExperimentBenchResult {
  events: number;
  users: number;
  fileMb: number;
  rounds: ReportRun[][];
  /** Median flagroute time / median DuckDB time. */
  ratio: number;
}

const CHILD = join(import.meta.dirname, 'experiment-child.js');

/**
 * Writes `events` outcome events of `users` users (half per arm, 4 % failures), deterministic,
 * in the event log's format.
 */
async function writeEvents(file: string, events: number, users: number): Promise<void> {
  const out = createWriteStream(file);
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  let buffer = '';
  for (let i = 0; i < events; i += 1) {
    const user = Math.floor(random() * users);
    const arm = user % 2 ? 'lightrag' : 'perplexity';
    const success = random() > 0.04;
    const hour = String(Math.floor((i / events) * 24)).padStart(2, '0');
    buffer += `{"time":"2026-11-26T${hour}:00:00Z","unit":"u${user}","cohort":"${arm}","backend":"${arm}","success":${success}`;
    if (success) {
      buffer += `,"latencyMs":${(1500 + random() * 1000).toFixed(1)},"quality":${(0.7 + random() * 0.2).toFixed(3)},"costUsd":${(0.01 * random()).toFixed(5)}`;
    }
    buffer += '}\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  out.end(buffer);
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
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
    await writeEvents(file, events, users);
    const fileMb = (await stat(file)).size / 1024 / 1024;
    const results: ReportRun[][] = [];
    for (let round = 0; round < rounds; round += 1) {
      results.push([await runSide('flagroute', file), await runSide('duckdb', file)]);
    }
    const ratio =
      median(results.map(([ours]) => ours!.ms)) / median(results.map(([, theirs]) => theirs!.ms));
    return { events, users, fileMb, rounds: results, ratio };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The experiment section of docs/benchmarks.md. */
export function renderExperiment(result: ExperimentBenchResult): string[] {
  const lines = [
    '## Experiment report over an event log',
    '',
    `${(result.events / 1e6).toFixed(0)} M generated outcome events of ${(result.users / 1e6).toFixed(1)} M users (${result.fileMb.toFixed(0)} MiB of JSON lines). flagroute: \`readEventFiles\` + \`reportFromEvents\` (every line parsed and validated against the schema, folded at the request and the user unit, the report computed), one thread. DuckDB (\`@duckdb/node-api\`): the same per-arm request-level sums with \`read_json\` and \`GROUP BY\`, both cores. Each in its own process, alternating; peak memory is the process's maximum resident set.`,
    '',
    '| round | flagroute s | events/s | peak MiB | DuckDB s | events/s | peak MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [index, [ours, theirs]] of result.rounds.entries()) {
    const rate = (run: ReportRun) => ((result.events / run.ms) * 1000).toExponential(2);
    lines.push(
      `| ${index + 1} | ${(ours!.ms / 1000).toFixed(1)} | ${rate(ours!)} | ${ours!.maxRssMb.toFixed(0)} | ${(theirs!.ms / 1000).toFixed(1)} | ${rate(theirs!)} | ${theirs!.maxRssMb.toFixed(0)} |`,
    );
  }
  const spread = result.rounds.map(([ours, theirs]) => ours!.ms / theirs!.ms);
  lines.push(
    '',
    `- time: flagroute / DuckDB = ${result.ratio.toFixed(1)} (median of the rounds; per round ${spread.map((r) => r.toFixed(1)).join(', ')}; target <= 2): ${result.ratio <= 2 ? 'met' : 'NOT met'}`,
    '',
  );
  return lines;
}
