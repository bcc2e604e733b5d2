import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRouter } from 'flagroute';
import { pino } from 'pino';
import { quantileSorted } from 'simple-statistics';
import {
  expectedRouting,
  flagdPeer,
  flagroutePeer,
  flagrouteSyncPeer,
  growthbookPeer,
  naivePeer,
  type Peer,
  unleashPeer,
} from './peers.js';
import {
  type BenchContext,
  benchWorkloads,
  realisticWorkload,
  WORKLOAD_NAMES,
  type Workload,
  type WorkloadName,
} from './workloads.js';

/** How big a run is. */
export interface BenchOptions {
  /** Contexts per timed pass. */
  contexts: number;
  /** Timed passes per system and workload (after one warm-up pass). */
  rounds: number;
  /**
   * How many times the comparison of flagroute and flagd-core is repeated on every workload;
   * the slower peers run in the first only.
   */
  comparisons: number;
  /** Contexts checked when verifying that every peer routes like flagroute. */
  verifyContexts: number;
  memoryDecisions: number;
  memoryOutcomes: number;
  reloads: number;
  log?: (line: string) => void;
}

/** The full run of `npm run bench`. */
export const FULL_RUN: BenchOptions = {
  contexts: 100_000,
  rounds: 7,
  comparisons: 3,
  verifyContexts: 40_000,
  memoryDecisions: 10_000_000,
  memoryOutcomes: 1_000_000,
  reloads: 50,
};

/** One system's timings on one workload, in nanoseconds per decision. */
export interface Timing {
  system: string;
  medianNs: number;
  minNs: number;
  maxNs: number;
  /** median / flagd-core's median in the same comparison. */
  ratio: number;
  /** Each timed pass, round by round (the same index is the same round for every system). */
  samples: number[];
}

/** A peer's agreement with flagroute on the verification sample. */
export interface Verification {
  system: string;
  /** Ineligible contexts the peer sent to the candidate (must be 0). */
  ineligibleToCandidate: number;
  /** Largest gap, in percentage points, between a region's candidate share and its percentage. */
  worstShareGapPoints: number;
  /** For the naive baseline (same hash): decisions that differ from flagroute's (must be 0). */
  exactMismatches: number | null;
  ok: boolean;
}

/** Everything a run measured. */
export interface BenchResult {
  machine: {
    cpu: string;
    cores: number;
    node: string;
    platform: string;
    date: string;
    /** `os.loadavg()` when the run began: the machine is shared. */
    loadAverage: number[];
  };
  options: Omit<BenchOptions, 'log'>;
  verification: Verification[];
  /**
   * What each workload is, whether it is fresh, and the share of decisions reaching assignment
   * that a bucket cache of {@link MODELLED_CACHE_SIZE} users (first in, first out) would have
   * answered in the timed rounds of the first comparison.
   */
  workloadInfo: {
    name: WorkloadName;
    fresh: boolean;
    description: string;
    cacheHitRate: number;
  }[];
  /** Per workload, each comparison of the run (the first with every peer). */
  comparisons: Record<WorkloadName, Timing[][]>;
  decisionsPerSecond: number;
  memory: {
    decisions: number;
    outcomes: number;
    heapStartMb: number;
    heapEndMb: number;
    rssStartMb: number;
    rssEndMb: number;
  };
  reloadLatencyMs: { saves: number; medianMs: number; p95Ms: number; maxMs: number };
}

const SHARE_TOLERANCE_POINTS = 2.5;
/** The peer every ratio is taken to. */
export const FLAGD = '@openfeature/flagd-core';
/** Systems that use flagroute's hash, and so must agree with it decision for decision. */
const SAME_HASH = new Set(['json-rules-engine (naive)', 'flagroute (decideSync)']);
/** The size of the bucket cache flagroute had until this bench showed it did not pay. */
export const MODELLED_CACHE_SIZE = 100_000;

/**
 * A first-in-first-out cache of users, as flagroute's bucket cache was: fed the users whose
 * decisions reach assignment, it counts how often their bucket would have been cached.
 */
class CacheModel {
  private readonly ring: (string | undefined)[] = new Array(MODELLED_CACHE_SIZE);
  private readonly held = new Set<string>();
  private next = 0;
  lookups = 0;
  hits = 0;

  see(contexts: readonly BenchContext[], counted: boolean): void {
    for (const context of contexts) {
      if (!expectedRouting(context).eligible) continue;
      if (counted) this.lookups += 1;
      if (this.held.has(context.userId)) {
        if (counted) this.hits += 1;
        continue;
      }
      const evicted = this.ring[this.next];
      if (evicted !== undefined) this.held.delete(evicted);
      this.ring[this.next] = context.userId;
      this.next = (this.next + 1) % MODELLED_CACHE_SIZE;
      this.held.add(context.userId);
    }
  }
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function pass(peer: Peer, contexts: readonly BenchContext[]): Promise<number> {
  const call = peer.timed ?? peer.decide;
  const started = process.hrtime.bigint();
  if (peer.async) {
    for (const context of contexts) await call(context);
  } else {
    for (const context of contexts) call(context);
  }
  return Number(process.hrtime.bigint() - started) / contexts.length;
}

async function verify(
  peers: readonly Peer[],
  flagroute: Peer,
  contexts: readonly BenchContext[],
): Promise<Verification[]> {
  const reference: string[] = [];
  for (const context of contexts) reference.push(await flagroute.decide(context));
  const results: Verification[] = [];
  for (const peer of peers) {
    let ineligibleToCandidate = 0;
    let exactMismatches = 0;
    const perRegion = new Map<
      string,
      { eligible: number; candidate: number; percentage: number }
    >();
    for (const [index, context] of contexts.entries()) {
      const backend = await peer.decide(context);
      if (backend !== reference[index]) exactMismatches += 1;
      const { eligible, percentage } = expectedRouting(context);
      if (!eligible) {
        if (backend === 'lightrag') ineligibleToCandidate += 1;
        continue;
      }
      const region = perRegion.get(context.region) ?? { eligible: 0, candidate: 0, percentage };
      region.eligible += 1;
      if (backend === 'lightrag') region.candidate += 1;
      perRegion.set(context.region, region);
    }
    let worstShareGapPoints = 0;
    for (const region of perRegion.values()) {
      const gap = Math.abs((region.candidate / region.eligible) * 100 - region.percentage);
      worstShareGapPoints = Math.max(worstShareGapPoints, gap);
    }
    const sameHash = SAME_HASH.has(peer.name);
    results.push({
      system: peer.name,
      ineligibleToCandidate,
      worstShareGapPoints,
      exactMismatches: sameHash ? exactMismatches : null,
      ok:
        ineligibleToCandidate === 0 &&
        worstShareGapPoints <= SHARE_TOLERANCE_POINTS &&
        (!sameHash || exactMismatches === 0),
    });
  }
  return results;
}

/**
 * One comparison on one workload: a warm-up round, then `rounds` timed rounds; each round is a
 * new round of the workload, and every peer decides on its own parse of it, in alternating order.
 */
async function timeWorkload(
  peers: readonly Peer[],
  workload: Workload,
  rounds: number,
  cache?: CacheModel,
): Promise<Timing[]> {
  const samples = new Map<string, number[]>(peers.map((peer) => [peer.name, []]));
  const warmUp = workload.nextRound();
  cache?.see(warmUp.contexts(), false);
  for (const peer of peers) await pass(peer, warmUp.contexts());
  for (let round = 0; round < rounds; round += 1) {
    const source = workload.nextRound();
    cache?.see(source.contexts(), true);
    const order = round % 2 === 0 ? peers : [...peers].reverse();
    for (const peer of order) {
      const contexts = source.contexts();
      // The parse's objects are promoted before the pass (a full collection promotes the young
      // generation), so that no system's scavenges copy 100,000 contexts a server would not
      // hold at once: each request's context is the only one it holds.
      gc();
      samples.get(peer.name)!.push(await pass(peer, contexts));
    }
  }
  const timings: Timing[] = peers.map((peer) => {
    const taken = samples.get(peer.name)!;
    const sorted = [...taken].sort((a, b) => a - b);
    const timing: Timing = {
      system: peer.name,
      medianNs: quantileSorted(sorted, 0.5),
      minNs: sorted[0]!,
      maxNs: sorted.at(-1)!,
      ratio: 0,
      samples: taken,
    };
    return timing;
  });
  const reference = timings.find((timing) => timing.system === FLAGD)!.medianNs;
  for (const timing of timings) timing.ratio = timing.medianNs / reference;
  return timings;
}

async function measureMemory(options: BenchOptions): Promise<BenchResult['memory']> {
  const peer = await flagroutePeer();
  const contexts = realisticWorkload(100_000, 7);
  await pass(peer, contexts);
  gc();
  const start = process.memoryUsage();
  for (let done = 0; done < options.memoryDecisions; done += contexts.length) {
    await pass(peer, contexts.slice(0, Math.min(contexts.length, options.memoryDecisions - done)));
  }
  for (let index = 0; index < options.memoryOutcomes; index += 1) {
    const backend = index % 4 === 0 ? 'lightrag' : 'perplexity';
    peer.router.recordOutcome(
      { backend, cohort: backend === 'lightrag' ? 'lightrag' : 'control' },
      {
        success: index % 50 !== 0,
        latencyMs: 200 + (index % 3000),
        quality: 0.8 + (index % 20) / 100,
      },
    );
  }
  gc();
  const end = process.memoryUsage();
  await peer.close();
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return {
    decisions: options.memoryDecisions,
    outcomes: options.memoryOutcomes,
    heapStartMb: mb(start.heapUsed),
    heapEndMb: mb(end.heapUsed),
    rssStartMb: mb(start.rss),
    rssEndMb: mb(end.rss),
  };
}

async function measureReload(saves: number): Promise<BenchResult['reloadLatencyMs']> {
  const peer = await flagroutePeer();
  await peer.router.close();
  const router = await createRouter({
    configDir: peer.dir,
    environment: 'bench',
    env: {},
    logger: pino({ level: 'silent' }),
  });
  const file = join(peer.dir, 'environments', 'bench.yaml');
  const latencies: number[] = [];
  try {
    for (let save = 0; save < saves; save += 1) {
      const percentage = 11 + (save % 80);
      const reloaded = new Promise<string>((resolve) => {
        const listener = (event: { configVersion: string }) => {
          router.off('reload', listener);
          resolve(event.configVersion);
        };
        router.on('reload', listener);
      });
      const temp = `${file}.${save}.tmp`;
      await writeFile(
        temp,
        `rollout_percentage: ${percentage}\nenable_conditional_routing: true\nrule_files: [rules/eligibility.yaml, rules/geography.yaml]\n`,
      );
      const started = performance.now();
      await rename(temp, file);
      const version = await reloaded;
      let decision = await router.decide({ userId: 'probe' });
      while (decision.configVersion !== version)
        decision = await router.decide({ userId: 'probe' });
      latencies.push(performance.now() - started);
    }
  } finally {
    await router.close();
    await peer.close();
  }
  const sorted = latencies.sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    saves,
    medianMs: round(quantileSorted(sorted, 0.5)),
    p95Ms: round(quantileSorted(sorted, 0.95)),
    maxMs: round(sorted.at(-1)!),
  };
}

/** Runs every measurement; `log` receives progress lines. */
export async function runBenchmark(
  options: BenchOptions,
  machine: BenchResult['machine'],
): Promise<BenchResult> {
  const log = options.log ?? (() => undefined);
  const flagroute = await flagroutePeer();
  const core: Peer[] = [flagroute, await flagrouteSyncPeer(), flagdPeer()];
  const slower: Peer[] = [unleashPeer(), growthbookPeer(), naivePeer()];
  const peers = [...core, ...slower];
  try {
    log('verifying that every peer routes like flagroute');
    const verification = await verify(
      peers.slice(1),
      flagroute,
      realisticWorkload(options.verifyContexts, 3, true),
    );
    for (const check of verification) {
      if (!check.ok)
        throw new Error(`${check.system} does not route like flagroute: ${JSON.stringify(check)}`);
    }
    const workloads = benchWorkloads(options.contexts);
    const comparisons = Object.fromEntries(
      WORKLOAD_NAMES.map((name) => [name, [] as Timing[][]]),
    ) as BenchResult['comparisons'];
    const caches = new Map(workloads.map((workload) => [workload.name, new CacheModel()]));
    for (let run = 1; run <= options.comparisons; run += 1) {
      for (const workload of workloads) {
        log(`timing the ${workload.name} workload (comparison ${run} of ${options.comparisons})`);
        const timed = run === 1 ? peers : core;
        const cache = run === 1 ? caches.get(workload.name) : undefined;
        comparisons[workload.name].push(await timeWorkload(timed, workload, options.rounds, cache));
      }
    }
    log('measuring memory');
    const memory = await measureMemory(options);
    log('measuring reload latency');
    const reloadLatencyMs = await measureReload(options.reloads);
    const ours = comparisons.fresh[0]!.find((timing) => timing.system === 'flagroute')!;
    const { log: _log, ...recorded } = options;
    return {
      machine,
      options: recorded,
      verification,
      workloadInfo: workloads.map(({ name, fresh, description }) => {
        const cache = caches.get(name)!;
        const cacheHitRate = cache.lookups === 0 ? 0 : cache.hits / cache.lookups;
        return { name, fresh, description, cacheHitRate };
      }),
      comparisons,
      decisionsPerSecond: Math.round(1e9 / ours.medianNs),
      memory,
      reloadLatencyMs,
    };
  } finally {
    for (const peer of peers) await peer.close();
  }
}
