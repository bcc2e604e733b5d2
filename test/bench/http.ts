import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServerProbe } from './server-probe.js';
import { backloggedShare, highestRateKept, keptPace, validPacedRun } from './sustained-rate.js';
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
  /** Requests measured (after the one-second warm-up). */
  measured: number;
  /** Of those, the ones due with at least 32 requests unanswered ahead (sustained-rate.ts). */
  backlogged: number;
  /** `backlogged` over `measured`: more than 10 % and the server did not keep pace. */
  backloggedShare: number;
  /** Of the measured, the ones that found every open connection busy when due, and waited. */
  queued: number;
  /** Connections the client opened (32 before the run, more on demand up to 256). */
  connections: number;
  /** Of those, the ones opened after the warm-up, while measuring. */
  connectionsMeasuring: number;
  /** The client's scheduling: real-time (`chrt -f 1`) or the server's. */
  priority: ClientPriority;
  /** The client's CPU time from the start of the schedule, ms (its threads sleep between requests). */
  clientCpuMs: number;
  achievedRate: number;
  /** False when the client fell behind its schedule: the run's latencies are then not valid. */
  onSchedule: boolean;
  /** False when the server did not keep pace (too many requests backlogged; sustained-rate.ts). */
  keptPace: boolean;
  /** Whether the run's latencies are the server's at this rate: on schedule and kept pace. */
  valid: boolean;
  /** The server's CPU time over the measured part's wall time: the cores' worth it used. */
  serverCpuShare: number;
  /** What the server's own process saw during the measured part of the run. */
  server: ServerProbe;
}

/** How the half-load rate was found: flagroute's highest rate kept beside the paced client. */
export interface RateSearch {
  /** The bisection's ceiling: flagroute's median maximum under autocannon. */
  ceiling: number;
  /** Each probe's measured seconds (after the warm-up). */
  seconds: number;
  /** The highest rate probed at which flagroute kept pace (0: none). */
  sustained: number;
  /** Each probe's run, in order. */
  probes: PacedRun[];
}

/** The HTTP figures: max throughput per round for each target, and latency at half the max. */
export interface HttpResult {
  rounds: HttpRun[][];
  /** flagroute's median throughput / the bare route's. */
  throughputRatio: number;
  /** How the half-load rate was set. */
  search: RateSearch;
  /** Both targets at half {@link RateSearch.sustained}, alternating. */
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
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  // The probe's window is the measured part: the client says when its warm-up ends.
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'measuring') server.reset();
    else last = line;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`paced-load exited ${code}: ${stderr}`);
  type Printed = Omit<
    PacedRun,
    | 'target'
    | 'rate'
    | 'server'
    | 'priority'
    | 'backloggedShare'
    | 'keptPace'
    | 'valid'
    | 'serverCpuShare'
  >;
  const printed = JSON.parse(last) as Printed;
  const probe = await server.report();
  return {
    target,
    rate,
    ...printed,
    backloggedShare: backloggedShare(printed),
    keptPace: keptPace(printed),
    valid: validPacedRun(printed),
    serverCpuShare: probe.cpuMs / Math.max(1, probe.windowMs),
    priority,
    server: probe,
  };
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
 * a fixed JSON body, in alternating rounds in one run; then both at half load for p99
 * (paced-load.ts, under `chrt -f 1` where allowed): half the highest rate at which flagroute
 * keeps pace beside that same client, found by bisection below autocannon's maximum
 * (sustained-rate.ts).
 * Each server runs in a process of its own, as in production: flagroute is the real
 * `flagroute serve --env production` (dist/cli/main.js, from the current directory), the peer
 * bare-route.js; neither shares a heap or an event loop with the bench, which earlier parts
 * filled (their collections then stalled the server under test).
 */
export async function benchmarkHttp(
  configDir: string,
  rounds = 3,
  seconds = 4,
  searchSteps = 6,
  searchSeconds = 2,
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
    const priority = await clientPriority();
    const probes: PacedRun[] = [];
    const { rate: sustained } = await highestRateKept(
      async (rate) => {
        const probe = await pacedRun(
          ours,
          'flagroute OFREP',
          rate,
          searchSeconds,
          200 + probes.length,
          priority,
        );
        probes.push(probe);
        return probe.valid;
      },
      Math.round(ourMedian),
      searchSteps,
    );
    const search: RateSearch = {
      ceiling: Math.round(ourMedian),
      seconds: searchSeconds,
      sustained,
      probes,
    };
    const rate = Math.round(sustained / 2);
    const halfRate: PacedRun[][] = [];
    for (let round = 1; rate > 0 && round <= rounds; round += 1) {
      halfRate.push([
        await pacedRun(ours, 'flagroute OFREP', rate, seconds, 100 + round, priority),
        await pacedRun(bare, 'bare fastify route', rate, seconds, 100 + round, priority),
      ]);
    }
    return { rounds: results, throughputRatio: ourMedian / bareMedian, search, halfRate };
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
  for (const [index, [ours, theirs]] of result.rounds.entries()) {
    lines.push(
      `| ${index + 1} | ${ours!.requestsPerSecond.toFixed(0)} | ${theirs!.requestsPerSecond.toFixed(0)} | ${ours!.p50Ms} / ${ours!.p99Ms} | ${theirs!.p50Ms} / ${theirs!.p99Ms} | ${ours!.cpuPerRequestUs.toFixed(1)}; ${theirs!.cpuPerRequestUs.toFixed(1)} | ${gcMax(ours!.server)}; ${gcMax(theirs!.server)} |`,
    );
  }
  lines.push(
    '',
    `- throughput: flagroute / bare route = ${result.throughputRatio.toFixed(2)} (median of the rounds; target >= 0.8): ${result.throughputRatio >= 0.8 ? 'met' : 'NOT met'}`,
    '',
    ...renderPaced(result),
  );
  return lines;
}

/** A server's longest collector pause in a run, ms. */
const gcMax = (probe: ServerProbe) => Math.max(probe.minorMaxMs, probe.majorMaxMs).toFixed(1);

const pct = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;

/** The paced part: how half load was found, and the latency there. */
function renderPaced(result: HttpResult): string[] {
  const { search, halfRate } = result;
  const priority = search.probes[0]?.priority ?? 'unknown';
  const lines = [
    `Latency at half load, open loop, measured from each request's due time, with the same kind of traffic (a new draw each round, the same for both servers). The client (test/bench/paced-load.ts) is plain keep-alive sockets with ready request bytes, after a 1 s warm-up: a sender thread sleeps until each request is due and writes it to an idle connection itself, the main thread reads and times the answers; 32 connections open before the run, more opened on demand up to 256 (as a client's pool does); the client scheduled ${priority}, so that a woken client thread does not wait for the server's time slice. The client costs the machine CPU of its own (two wake-ups a request), so half of autocannon's maximum is not half load beside it: half load is half the highest rate at which flagroute keeps pace beside this client, found by bisection below autocannon's maximum (test/bench/sustained-rate.ts). A run keeps pace when at most 10 % of its measured requests were backlogged (came due with at least 32 requests unanswered ahead of them; a saturated server's backlog never drains, and at half load a stall backlogs twice its length), and counts only if the client also kept to its schedule (lag p99 at most 1 ms, 98 % of the rate).`,
    '',
    `Search (flagroute, runs of ${search.seconds} s after the warm-up; ceiling ${search.ceiling} req/s, flagroute's maximum under autocannon):`,
    '',
    '| probe | rate req/s | backlogged | queued | connections (after warm-up) | server event loop busy | server CPU share | client lag p99 ms | p99 ms | kept pace |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const [index, probe] of search.probes.entries()) {
    lines.push(
      `| ${index + 1} | ${probe.rate} | ${pct(probe.backloggedShare)} | ${probe.queued} | ${probe.connections} (${probe.connectionsMeasuring}) | ${pct(probe.server.loopBusyShare)} | ${probe.serverCpuShare.toFixed(2)} | ${probe.lagP99Ms.toFixed(2)}${probe.onSchedule ? '' : ' **behind**'} | ${probe.p99Ms.toFixed(2)} | ${probe.valid ? 'yes' : 'no'} |`,
    );
  }
  lines.push('');
  if (halfRate.length === 0) {
    lines.push(
      '- p99 at half load: INVALID, flagroute kept pace beside the paced client at no rate probed, so there is no half load to measure',
      '',
    );
    return lines;
  }
  const rate = halfRate[0]![0]!.rate;
  lines.push(
    `- flagroute kept pace up to ${search.sustained} req/s beside the paced client; half load: ${rate} req/s, both servers, alternating.`,
    '',
    "Client lag: how late the client took requests off its schedule; backlogged: the share of measured requests due with at least 32 unanswered ahead; queued: how many were due while every open connection was busy (they wait for one, timed from their due time); connections: how many the client opened, in all and after the warm-up; server event loop busy: the share of the measured part in which the server's event loop was not waiting for events (its utilisation: about half at half load, whole when saturated); server CPU share: the server's CPU time over the measured part's wall time (cores); client CPU: both threads' from the start of the schedule. Server event loop and GC: the longest delay of the server's event loop and its longest collector pause while measuring, from inside the server:",
    '',
    '| round | flagroute p50 / p90 / p99 / max ms | bare route p50 / p90 / p99 / max ms | p99 ratio | client lag p99 / max ms (flagroute; bare) | backlogged, queued, connections (flagroute; bare) | server event loop busy, CPU share (flagroute; bare) | client CPU s (flagroute; bare) | server event loop max / GC max ms (flagroute; bare) | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const fmt = (run: PacedRun) =>
    `${run.p50Ms.toFixed(2)} / ${run.p90Ms.toFixed(2)} / ${run.p99Ms.toFixed(2)} / ${run.maxMs.toFixed(1)}`;
  const lagOf = (run: PacedRun) =>
    `${run.lagP99Ms.toFixed(2)} / ${run.lagMaxMs.toFixed(1)}${run.onSchedule ? '' : ' **behind**'}`;
  const queueOf = (run: PacedRun) =>
    `${pct(run.backloggedShare)}, ${run.queued}, ${run.connections} (${run.connectionsMeasuring})${run.keptPace ? '' : ' **did not keep pace**'}`;
  const busy = (run: PacedRun) =>
    `${pct(run.server.loopBusyShare)}, ${run.serverCpuShare.toFixed(2)}`;
  const inside = (run: PacedRun) => `${run.server.delayMaxMs.toFixed(1)} / ${gcMax(run.server)}`;
  for (const [index, [ours, theirs]] of halfRate.entries()) {
    lines.push(
      `| ${index + 1} | ${fmt(ours!)} | ${fmt(theirs!)} | ${(ours!.p99Ms / theirs!.p99Ms).toFixed(2)} | ${lagOf(ours!)}; ${lagOf(theirs!)} | ${queueOf(ours!)}; ${queueOf(theirs!)} | ${busy(ours!)}; ${busy(theirs!)} | ${(ours!.clientCpuMs / 1000).toFixed(2)}; ${(theirs!.clientCpuMs / 1000).toFixed(2)} | ${inside(ours!)}; ${inside(theirs!)} | ${ours!.errors + theirs!.errors} |`,
    );
  }
  // Only rounds in which both runs were valid (client on schedule, server keeping pace) count.
  const valid = halfRate.filter(([ours, theirs]) => ours!.valid && theirs!.valid);
  lines.push('');
  if (valid.length === 0) {
    lines.push(
      `- p99 at half load: INVALID in every round: the client fell behind its schedule (late by more than 1 ms at the 99th percentile, or less than 98 % of the rate) or a server did not keep pace (more than 10 % of the requests backlogged), so the latencies are not a half-loaded server's`,
    );
  } else {
    const ratio = median(valid.map(([ours, theirs]) => ours!.p99Ms / theirs!.p99Ms));
    const ourP99 = median(valid.map(([ours]) => ours!.p99Ms));
    const bareP99 = median(valid.map(([, theirs]) => theirs!.p99Ms));
    lines.push(
      `- p99 at half load (${rate} req/s), in the ${valid.length} of ${halfRate.length} rounds valid for both servers: flagroute ${ourP99.toFixed(2)} ms, bare route ${bareP99.toFixed(2)} ms; flagroute / bare route ${ratio.toFixed(2)} (median of the valid rounds' ratios; no target on the ratio yet, the earlier absolute target was < 2 ms: ${ourP99 < 2 ? 'met' : 'NOT met'})`,
    );
  }
  lines.push('');
  return lines;
}
