import { type BenchResult, FLAGD, MODELLED_CACHE_SIZE, type Timing } from './harness.js';
import type { WorkloadName } from './workloads.js';

/**
 * The targets the benchmark prints beside its figures (it does not fail on them): flagroute's
 * time over flagd-core's, per workload and API. Workloads without a target are printed for
 * comparison.
 */
export const TARGETS = {
  versusFlagd: {
    fresh: { flagroute: 1.2, 'flagroute (decideSync)': 1.0 },
    'all-new': { 'flagroute (decideSync)': 1.5 },
  } as Partial<Record<WorkloadName, Record<string, number>>>,
  reloadMedianMs: 60,
  reloadP95Ms: 150,
  loggingAddedNs: 2000,
  coldStartMs: 250,
  retainedHeapMb: 64,
};

/** The systems whose ratio to flagd-core is printed for every workload and comparison. */
const OURS = ['flagroute', 'flagroute (decideSync)'] as const;

function table(timings: readonly Timing[]): string[] {
  const lines = [
    `| system | median ns/decision | min–max | ratio to flagd-core |`,
    '| --- | ---: | ---: | ---: |',
  ];
  for (const timing of [...timings].sort((a, b) => a.medianNs - b.medianNs)) {
    lines.push(
      `| ${timing.system} | ${timing.medianNs.toFixed(0)} | ${timing.minNs.toFixed(0)}–${timing.maxNs.toFixed(0)} | ${timing.ratio.toFixed(2)} |`,
    );
  }
  return lines;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1
    ? sorted[Math.floor(middle)]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * flagroute's time over flagd-core's in one comparison, round by round: the two ran in the same
 * round, back to back or nearly, so a round's ratio is spared most of the machine's drift. The
 * ratio is the median of the rounds' ratios, the spread their lowest and highest.
 */
export function versusFlagd(
  timings: readonly Timing[],
  system: string,
): { ratio: number; low: number; high: number } {
  const ours = timings.find((timing) => timing.system === system)!.samples;
  const flagd = timings.find((timing) => timing.system === FLAGD)!.samples;
  const ratios = ours.map((sample, round) => sample / flagd[round]!);
  return { ratio: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

/** Whether flagroute met each target, as printed lines; workloads without targets too. */
export function targetLines(result: BenchResult): string[] {
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines: string[] = [];
  for (const { name } of result.workloadInfo) {
    for (const system of OURS) {
      const runs = result.comparisons[name].map((timings) => versusFlagd(timings, system));
      const middle = median(runs.map((run) => run.ratio));
      const shown = runs
        .map((run) => `${run.ratio.toFixed(2)} (${run.low.toFixed(2)}–${run.high.toFixed(2)})`)
        .join(', ');
      const target = TARGETS.versusFlagd[name]?.[system];
      const judged =
        target === undefined ? 'no target' : `target <= ${target}: ${verdict(middle <= target)}`;
      lines.push(
        `- ${name}, ${system} / ${FLAGD}: ${shown}; median of the ${runs.length} comparisons ${middle.toFixed(2)}, ${judged}`,
      );
    }
  }
  lines.push(
    `- reload latency: median ${result.reloadLatencyMs.medianMs} ms (target < ${TARGETS.reloadMedianMs}), p95 ${result.reloadLatencyMs.p95Ms} ms (target < ${TARGETS.reloadP95Ms}): ${verdict(result.reloadLatencyMs.medianMs < TARGETS.reloadMedianMs && result.reloadLatencyMs.p95Ms < TARGETS.reloadP95Ms)}`,
    `- memory: heap ${result.memory.heapStartMb} -> ${result.memory.heapEndMb} MB after ${result.memory.decisions.toLocaleString('en')} decisions and ${result.memory.outcomes.toLocaleString('en')} outcomes (bounded caches: up to 10,000 outcomes per engine-run rule); target flat (at most 10 % above the start): ${result.memory.heapEndMb <= result.memory.heapStartMb * 1.1 ? 'met' : 'NOT met'}`,
  );
  return lines;
}

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

/** `docs/benchmarks.md`. */
export function renderMarkdown(result: BenchResult): string {
  const { machine } = result;
  const first = (name: WorkloadName) => result.comparisons[name][0]!;
  return [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${machine.date}: ${machine.cpu}, ${machine.cores} cores, Node.js ${machine.node}, ${machine.platform} (this project's standard 2-core machine, shared: load average ${machine.loadAverage.map((load) => load.toFixed(2)).join(', ')} when the run began). Every system ran in the same process, on the same contexts, in alternating order; per workload one warm-up round, then ${result.options.rounds} timed rounds of ${result.options.contexts.toLocaleString('en')} decisions for each system. The comparison of flagroute with flagd-core is repeated ${result.options.comparisons} times per workload; the slower peers run in the first only. Ratios are taken round by round (flagroute's pass over flagd-core's in the same round) and given as the median with the lowest and highest round; on this shared machine a ratio moves by 5 to 15 % from one comparison to the next, so read the spread before the median. Machine-readable results: [benchmarks.json](benchmarks.json).`,
    '',
    "Every system implements the same routing: eligible when the query is 100 to 1000 code points long or of type metabolomics or clinical; then 25 % of users in us_east, 15 % in us_west, 10 % in europe and 10 % elsewhere go to the candidate. Each peer computes the query length the same way. Before timing, the benchmark checks on a sample that no peer sends an ineligible query to the candidate and that each region's candidate share is within 2.5 points of its percentage; the naive baseline uses flagroute's hash and must agree decision for decision. flagroute runs with its defaults (breaker, quality gate and decision counters on), once through its async `decide` and once through `decideSync`, each on its own router.",
    '',
    '## Workloads',
    '',
    `Query lengths are log-normal (median about 90 characters), with five query types and four regions. Every workload but the replayed one is fresh: its contexts are parsed from JSON text before each system's pass, as a server receives them, so no system decides on an object or a string it has seen before. The parsed contexts are promoted to the old generation (a full collection) before each pass, so that no system's young-generation collections copy 100,000 live contexts, which a server holding one context per request in flight would not have. The last column is the share of decisions reaching assignment whose user a first-in-first-out cache of ${MODELLED_CACHE_SIZE.toLocaleString('en')} buckets would have held (flagroute had such a cache; see performance.md for why it went).`,
    '',
    '| workload | traffic | what it is | cache of 100,000 users would hit |',
    '| --- | --- | --- | ---: |',
    ...result.workloadInfo.map(
      (info) =>
        `| ${info.name} | ${info.fresh ? 'fresh' : '**replayed**'} | ${info.description} | ${percent(info.cacheHitRate)} |`,
    ),
    '',
    ...result.workloadInfo.flatMap((info) => [
      `## ${info.name[0]!.toUpperCase()}${info.name.slice(1)} workload (${info.fresh ? 'fresh' : 'replayed'})`,
      '',
      ...table(first(info.name)),
      '',
    ]),
    '## Other figures',
    '',
    `- decisions per second on one core (fresh workload, async \`decide\`): ${result.decisionsPerSecond.toLocaleString('en')}`,
    `- memory: heap ${result.memory.heapStartMb} MB -> ${result.memory.heapEndMb} MB, RSS ${result.memory.rssStartMb} MB -> ${result.memory.rssEndMb} MB after ${result.memory.decisions.toLocaleString('en')} decisions and ${result.memory.outcomes.toLocaleString('en')} recorded outcomes`,
    `- reload latency (rename-over save to the first decision on the new config, ${result.reloadLatencyMs.saves} saves): median ${result.reloadLatencyMs.medianMs} ms, p95 ${result.reloadLatencyMs.p95Ms} ms, max ${result.reloadLatencyMs.maxMs} ms`,
    '',
    '## Targets',
    '',
    ...targetLines(result),
    '',
    '## Where flagroute spends its time',
    '',
    '- **A profile by concept, the floors, and why a target still missed stays missed:** [performance.md](performance.md).',
    '- **The cohort hash.** Python compatibility requires SHA-256 (the one-shot `crypto.hash`, its digest read as bytes); flagd-core, GrowthBook and Unleash use MurmurHash or FNV. flagroute hashes on every decision that reaches assignment, and only then; it keeps no cache of buckets.',
    "- **The promise.** `decide` is async because a rule may need json-rules-engine's asynchronous run; even when none does, returning a promise and awaiting it costs a microtask. `decideSync` removes that when every rule compiles (see docs/semantics.md).",
    '- **What the peers do not do.** Each flagroute decision also checks the context field by field, reads the circuit breaker and the quality gate, counts the decision per cohort and reason, and returns the rules tried with their outcomes. It is timed (`elapsedMs`) only when asked (`timeDecisions`, `explain`, detailed logging).',
    "- **Rules.** Plain-comparison rules run synchronously on json-rules-engine's own operators; rules that need `Engine.run` are memoised per fact value. See docs/architecture.md.",
    '',
  ].join('\n');
}
