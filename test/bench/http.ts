import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServerProbe } from './server-probe.js';
import type { ThroughputResult } from './throughput-load.js';

/** One load run against one HTTP target. */
export interface HttpRun {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The server process's CPU time per request answered, µs (its probe's CPU over autocannon's count). */
  cpuPerRequestUs: number;
  /** What the server's own process saw during the run. */
  server: ServerProbe;
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
  /** Requests that found every connection busy (held by the server) when due, and waited. */
  queued: number;
  /** Connections the client opened (32 before the run, more on demand up to 256). */
  connections: number;
  /** The client's scheduling: real-time (`chrt -f 1`) or the server's. */
  priority: ClientPriority;
  /** The client's CPU time from the start of the schedule, ms (its threads sleep between requests). */
  clientCpuMs: number;
  achievedRate: number;
  /** False when the client fell behind its schedule: the run's latencies are then not valid. */
  onSchedule: boolean;
  /** What the server's own process saw during the run. */
  server: ServerProbe;
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
const THROUGHPUT_LOAD = join(import.meta.dirname, 'throughput-load.js');
const PROBE = join(import.meta.dirname, 'server-probe.js');
const BARE_ROUTE = join(import.meta.dirname, 'bare-route.js');
const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');

/** A server under test in a process of its own, with {@link PROBE} preloaded. */
interface ServerProcess {
  url: string;
  /** Starts a new window of the probe's figures. */
  reset(): void;
  /** The probe's figures since the last reset. */
  report(): Promise<ServerProbe>;
  stop(): Promise<void>;
}

/**
 * Starts `node --import server-probe.js ARGS...` and waits for its `listening on URL` line.
 * Its stderr is kept, to say why should it exit early.
 */
async function startServer(name: string, args: string[], cwd: string): Promise<ServerProcess> {
  // Neither the overlay nor the server's tokens of the bench's own environment reach the server.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('LIGHTRAG_') && !key.startsWith('FLAGROUTE_'),
    ),
  );
  const child = spawn(process.execPath, ['--import', PROBE, ...args], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = createInterface({ input: child.stdout! });
  const reports: ((probe: ServerProbe) => void)[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('listening on ')) resolve(line.slice('listening on '.length));
      else if (line.startsWith('probe ')) reports.shift()?.(JSON.parse(line.slice(6)));
    });
    void exited.then((code) => reject(new Error(`${name} exited ${code}: ${stderr}`)));
  });
  return {
    url,
    reset: () => child.stdin!.write('reset\n'),
    report: () =>
      new Promise((resolve) => {
        reports.push(resolve);
        child.stdin!.write('report\n');
      }),
    stop: async () => {
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** How the paced client is scheduled against the server under test. */
export type ClientPriority = 'real-time (chrt -f 1)' | "the server's (chrt not allowed here)";

/**
 * Whether this machine lets the bench run the paced client under `chrt -f 1` (SCHED_FIFO:
 * util-linux's chrt, and root or `RLIMIT_RTPRIO`). Under the default scheduler a woken client
 * thread on a busy core waits for the running thread's time slice, a millisecond and more, and
 * a lower nice value did not change that in the runs of docs/performance.md; a real-time thread
 * runs when it wakes.
 */
async function clientPriority(): Promise<ClientPriority> {
  const allowed = await new Promise<boolean>((resolve) =>
    execFile('chrt', ['-f', '1', 'true'], (error) => resolve(!error)),
  );
  return allowed ? 'real-time (chrt -f 1)' : "the server's (chrt not allowed here)";
}

/** Latency at a constant arrival rate (open loop; see paced-load.ts for why not autocannon's -R). */
async function pacedRun(
  server: ServerProcess,
  target: string,
  rate: number,
  seconds: number,
  seed: number,
  priority: ClientPriority,
): Promise<PacedRun> {
  server.reset();
  const client = [PACED_LOAD, server.url, String(rate), String(seconds), String(seed)];
  const [command, args] =
    priority === 'real-time (chrt -f 1)'
      ? ['chrt', ['-f', '1', process.execPath, ...client]]
      : [process.execPath, client];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(command, args, (error, out) => (error ? reject(error) : resolve(out)));
  });
  const measured = JSON.parse(stdout) as Omit<PacedRun, 'target' | 'rate' | 'server' | 'priority'>;
  return { target, rate, ...measured, priority, server: await server.report() };
}

/** One autocannon run at full load, in a process of its own (as each server is). */
async function run(
  server: ServerProcess,
  target: string,
  seconds: number,
  seed: number,
): Promise<HttpRun> {
  server.reset();
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [THROUGHPUT_LOAD, server.url, String(seconds), String(seed)],
      (error, out) => (error ? reject(error) : resolve(out)),
    );
  });
  const probe = await server.report();
  const result = JSON.parse(stdout) as ThroughputResult;
  return {
    target,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuPerRequestUs: (probe.cpuMs * 1000) / Math.max(1, result.requests.total),
    server: probe,
  };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * OFREP single evaluations of realistic traffic (ofrep-traffic.ts: a new Zipf draw of users
 * each round, the same for both servers) on loopback against a bare fastify route that returns
 * a fixed JSON body, in alternating rounds in one run; then both at half flagroute's maximum
 * rate for p99 (paced-load.ts, under `chrt -f 1` where allowed).
 * Each server runs in a process of its own, as in production: flagroute is the real
 * `flagroute serve --env production` (dist/cli/main.js, from the current directory), the peer
 * bare-route.js; neither shares a heap or an event loop with the bench, which earlier parts
 * filled (their collections then stalled the server under test).
 */
export async function benchmarkHttp(
  configDir: string,
  rounds = 3,
  seconds = 4,
): Promise<HttpResult> {
  const ours = await startServer(
    'flagroute serve',
    [CLI, 'serve', '--env', 'production', '--port', '0', '--config-dir', configDir],
    configDir,
  );
  const bare = await startServer('bare-route', [BARE_ROUTE], configDir).catch(async (error) => {
    await ours.stop();
    throw error;
  });
  try {
    // Warm both up (JIT, connections) before anything is measured.
    await run(ours, 'warm-up', 2, 0);
    await run(bare, 'warm-up', 2, 0);
    // Each round a new draw of users, the same for both servers.
    const results: HttpRun[][] = [];
    for (let round = 1; round <= rounds; round += 1) {
      results.push([
        await run(ours, 'flagroute OFREP', seconds, round),
        await run(bare, 'bare fastify route', seconds, round),
      ]);
    }
    const ourMedian = median(results.map(([flagroute]) => flagroute!.requestsPerSecond));
    const bareMedian = median(results.map(([, peer]) => peer!.requestsPerSecond));
    const rate = Math.round(ourMedian / 2);
    const priority = await clientPriority();
    const halfRate: PacedRun[][] = [];
    for (let round = 1; round <= rounds; round += 1) {
      halfRate.push([
        await pacedRun(ours, 'flagroute OFREP', rate, seconds, 100 + round, priority),
        await pacedRun(bare, 'bare fastify route', rate, seconds, 100 + round, priority),
      ]);
    }
    return { rounds: results, throughputRatio: ourMedian / bareMedian, halfRate };
  } finally {
    await ours.stop();
    await bare.stop();
  }
}

/** The HTTP section of docs/benchmarks.md. */
export function renderHttp(result: HttpResult): string[] {
  const lines = [
    '## HTTP service (OFREP on loopback)',
    '',
    "autocannon (its own process, test/bench/throughput-load.ts), 32 connections, POST `/ofrep/v1/evaluate/flags/backend` with realistic traffic (1,000 bodies of a new Zipf draw of users over 1,000,000 each round, with queries, types and regions: 24 to 28 % of the requests in the experiment's arms under the production environment, 16 to 18 % of the users; both servers get the same draw), against the real `flagroute serve --env production` and a bare fastify route returning a fixed JSON body, each server in a process of its own (test/bench/bare-route.ts), alternating, in one run. Inside each server, test/bench/server-probe.ts measures the process's CPU time, its event loop's longest delay and its garbage collector's pauses in each run.",
    '',
    '| round | flagroute req/s | bare route req/s | flagroute p50 / p99 ms | bare p50 / p99 ms | server CPU µs a request (flagroute; bare) | longest GC pause ms (flagroute; bare) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const gcMax = (probe: ServerProbe) => Math.max(probe.minorMaxMs, probe.majorMaxMs).toFixed(1);
  for (const [index, [ours, theirs]] of result.rounds.entries()) {
    lines.push(
      `| ${index + 1} | ${ours!.requestsPerSecond.toFixed(0)} | ${theirs!.requestsPerSecond.toFixed(0)} | ${ours!.p50Ms} / ${ours!.p99Ms} | ${theirs!.p50Ms} / ${theirs!.p99Ms} | ${ours!.cpuPerRequestUs.toFixed(1)}; ${theirs!.cpuPerRequestUs.toFixed(1)} | ${gcMax(ours!.server)}; ${gcMax(theirs!.server)} |`,
    );
  }
  lines.push(
    '',
    `- throughput: flagroute / bare route = ${result.throughputRatio.toFixed(2)} (median of the rounds; target >= 0.8): ${result.throughputRatio >= 0.8 ? 'met' : 'NOT met'}`,
    '',
    `Latency at a constant ${result.halfRate[0]?.[0]?.rate ?? 0} req/s (half flagroute's max), open loop, measured from each request's due time, with the same kind of traffic (a new draw each round, the same for both servers), alternating. The client (test/bench/paced-load.ts) is plain keep-alive sockets with ready request bytes, after a 1 s warm-up: a sender thread sleeps until each request is due and writes it to an idle connection itself, the main thread reads and times the answers; 32 connections open before the run, more opened on demand up to 256 (as a client's pool does); the client scheduled ${result.halfRate[0]?.[0]?.priority ?? 'unknown'}, so that a woken client thread does not wait for the server's time slice. Client lag: how late the client took requests off its schedule; queued: requests due while every open connection was busy (they wait for one, timed from their due time); connections: how many the client opened; client CPU: both threads' from the start of the schedule. Server event loop and GC: the longest delay of the server's event loop and its longest collector pause in the run, from inside the server:`,
    '',
    '| round | flagroute p50 / p90 / p99 / max ms | bare route p50 / p90 / p99 / max ms | p99 ratio | client lag p99 / max ms (flagroute; bare) | queued / connections (flagroute; bare) | client CPU s (flagroute; bare) | server event loop max / GC max ms (flagroute; bare) | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const fmt = (run: PacedRun) =>
    `${run.p50Ms.toFixed(2)} / ${run.p90Ms.toFixed(2)} / ${run.p99Ms.toFixed(2)} / ${run.maxMs.toFixed(1)}`;
  const lagOf = (run: PacedRun) =>
    `${run.lagP99Ms.toFixed(2)} / ${run.lagMaxMs.toFixed(1)}${run.onSchedule ? '' : ' **behind**'}`;
  const inside = (run: PacedRun) => `${run.server.delayMaxMs.toFixed(1)} / ${gcMax(run.server)}`;
  for (const [index, [ours, theirs]] of result.halfRate.entries()) {
    lines.push(
      `| ${index + 1} | ${fmt(ours!)} | ${fmt(theirs!)} | ${(ours!.p99Ms / theirs!.p99Ms).toFixed(2)} | ${lagOf(ours!)}; ${lagOf(theirs!)} | ${ours!.queued} / ${ours!.connections}; ${theirs!.queued} / ${theirs!.connections} | ${(ours!.clientCpuMs / 1000).toFixed(2)}; ${(theirs!.clientCpuMs / 1000).toFixed(2)} | ${inside(ours!)}; ${inside(theirs!)} | ${ours!.errors + theirs!.errors} |`,
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
