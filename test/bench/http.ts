import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Fastify from 'fastify';
import { serve } from 'flagroute/server';
import { pino } from 'pino';

/** One load run against one HTTP target. */
export interface HttpRun {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Latency at a constant arrival rate, from {@link pacedRun}. */
export interface PacedRun {
  target: string;
  rate: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The client's own lateness in dispatching requests (99th percentile, and the worst). */
  lagP99Ms: number;
  lagMaxMs: number;
  achievedRate: number;
  /** False when the client fell behind its schedule: the run's latencies are then not valid. */
  onSchedule: boolean;
}

/** The HTTP figures: max throughput per round for each target, and latency at half the max. */
export interface HttpResult {
  rounds: HttpRun[][];
  /** flagroute's median throughput / the bare route's. */
  throughputRatio: number;
  /** Both targets at half flagroute's maximum rate, alternating. */
  halfRate: PacedRun[][];
}

const PACED_LOAD = join(import.meta.dirname, 'paced-load.js');

/** Latency at a constant arrival rate (open loop; see paced-load.ts for why not autocannon's -R). */
function pacedRun(url: string, target: string, rate: number, seconds: number): Promise<PacedRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [PACED_LOAD, url, String(rate), String(seconds), BODY],
      (error, stdout) => {
        if (error) return reject(error);
        resolve({ target, rate, ...(JSON.parse(stdout) as Omit<PacedRun, 'target' | 'rate'>) });
      },
    );
  });
}

const BODY = JSON.stringify({ context: { targetingKey: 'user-42', region: 'us_east' } });

// Resolved as a package: the built bench's own folder has no node_modules beside it.
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** One autocannon run, in a process of its own so that the load does not share the servers' event loop. */
function run(url: string, target: string, seconds: number): Promise<HttpRun> {
  const args = [
    AUTOCANNON,
    '--json',
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    BODY,
    '-c',
    '32',
    '-d',
    String(seconds),
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(error);
      const result = JSON.parse(stdout) as {
        requests: { average: number };
        latency: { p50: number; p99: number };
        errors: number;
        non2xx: number;
      };
      resolve({
        target,
        requestsPerSecond: result.requests.average,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.errors + result.non2xx,
      });
    });
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * OFREP single evaluations on loopback against a bare fastify route that returns a fixed JSON
 * body, in alternating rounds in one run; then flagroute at half its maximum rate for p99.
 */
export async function benchmarkHttp(
  configDir: string,
  rounds = 3,
  seconds = 4,
): Promise<HttpResult> {
  const server = await serve({
    configDir,
    environment: 'production',
    port: 0,
    env: {},
    watch: false,
    logger: pino({ level: 'silent' }),
  });
  const bare = Fastify();
  bare.post('/ofrep/v1/evaluate/flags/backend', async () => ({
    key: 'backend',
    value: 'perplexity',
    variant: 'control',
    reason: 'SPLIT',
  }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/ofrep/v1/evaluate/flags/backend`;
  const ourUrl = `${server.url}/ofrep/v1/evaluate/flags/backend`;
  try {
    // Warm both up (JIT, connections) before anything is measured.
    await run(ourUrl, 'warm-up', 2);
    await run(bareUrl, 'warm-up', 2);
    const results: HttpRun[][] = [];
    for (let round = 0; round < rounds; round += 1) {
      const ours = await run(ourUrl, 'flagroute OFREP', seconds);
      const theirs = await run(bareUrl, 'bare fastify route', seconds);
      results.push([ours, theirs]);
    }
    const ourMedian = median(results.map(([ours]) => ours!.requestsPerSecond));
    const bareMedian = median(results.map(([, theirs]) => theirs!.requestsPerSecond));
    const rate = Math.round(ourMedian / 2);
    const halfRate: PacedRun[][] = [];
    for (let round = 0; round < rounds; round += 1) {
      halfRate.push([
        await pacedRun(ourUrl, 'flagroute OFREP', rate, seconds),
        await pacedRun(bareUrl, 'bare fastify route', rate, seconds),
      ]);
    }
    return { rounds: results, throughputRatio: ourMedian / bareMedian, halfRate };
  } finally {
    await server.close();
    await bare.close();
  }
}

/** The HTTP section of docs/benchmarks.md. */
export function renderHttp(result: HttpResult): string[] {
  const lines = [
    '## HTTP service (OFREP on loopback)',
    '',
    'autocannon (its own process), 32 connections, one POST `/ofrep/v1/evaluate/flags/backend` body, against `flagroute serve` (production config) and a bare fastify route returning a fixed JSON body, alternating, in one run.',
    '',
    '| round | flagroute req/s | bare route req/s | flagroute p50 / p99 ms | bare p50 / p99 ms |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [index, [ours, theirs]] of result.rounds.entries()) {
    lines.push(
      `| ${index + 1} | ${ours!.requestsPerSecond.toFixed(0)} | ${theirs!.requestsPerSecond.toFixed(0)} | ${ours!.p50Ms} / ${ours!.p99Ms} | ${theirs!.p50Ms} / ${theirs!.p99Ms} |`,
    );
  }
  lines.push(
    '',
    `- throughput: flagroute / bare route = ${result.throughputRatio.toFixed(2)} (median of the rounds; target >= 0.8): ${result.throughputRatio >= 0.8 ? 'met' : 'NOT met'}`,
    '',
    `Latency at a constant ${result.halfRate[0]?.[0]?.rate ?? 0} req/s (half flagroute's max), open loop, measured from each request's due time (test/bench/paced-load.ts: plain keep-alive sockets with ready request bytes, 32 connections, after a 1 s warm-up; the client spins between requests, so its CPU is a core's worth whatever the rate), alternating:`,
    '',
    '| round | flagroute p50 / p90 / p99 / max ms | bare route p50 / p90 / p99 / max ms | p99 ratio | client lag p99 / max ms (flagroute; bare) | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  const fmt = (run: PacedRun) =>
    `${run.p50Ms.toFixed(2)} / ${run.p90Ms.toFixed(2)} / ${run.p99Ms.toFixed(2)} / ${run.maxMs.toFixed(1)}`;
  const lagOf = (run: PacedRun) =>
    `${run.lagP99Ms.toFixed(2)} / ${run.lagMaxMs.toFixed(1)}${run.onSchedule ? '' : ' **behind**'}`;
  for (const [index, [ours, theirs]] of result.halfRate.entries()) {
    lines.push(
      `| ${index + 1} | ${fmt(ours!)} | ${fmt(theirs!)} | ${(ours!.p99Ms / theirs!.p99Ms).toFixed(2)} | ${lagOf(ours!)}; ${lagOf(theirs!)} | ${ours!.errors + theirs!.errors} |`,
    );
  }
  // Only rounds in which the client kept to its schedule for both targets count.
  const valid = result.halfRate.filter(([ours, theirs]) => ours!.onSchedule && theirs!.onSchedule);
  lines.push('');
  if (valid.length === 0) {
    lines.push(
      `- p99 at half rate: INVALID, the load client fell behind its schedule in every round (it was late by more than 1 ms at the 99th percentile, or sent less than 98 % of the rate), so the latencies are the client's, not the servers'`,
    );
  } else {
    const ratio = median(valid.map(([ours, theirs]) => ours!.p99Ms / theirs!.p99Ms));
    const ourP99 = median(valid.map(([ours]) => ours!.p99Ms));
    const bareP99 = median(valid.map(([, theirs]) => theirs!.p99Ms));
    lines.push(
      `- p99 at half rate, in the ${valid.length} of ${result.halfRate.length} rounds whose client kept to its schedule: flagroute ${ourP99.toFixed(2)} ms, bare route ${bareP99.toFixed(2)} ms; flagroute / bare route ${ratio.toFixed(2)} (median of the rounds' ratios; no target on the ratio yet, the earlier absolute target was < 2 ms: ${ourP99 < 2 ? 'met' : 'NOT met'})`,
    );
  }
  lines.push('');
  return lines;
}
