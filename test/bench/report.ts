import type { BenchResult, Timing } from './harness.js';

/** The targets the benchmark prints beside its figures (it does not fail on them). */
export const TARGETS = {
  /** flagroute's time / flagd-core's, per workload and API. */
  versusFlagd: {
    realistic: { flagroute: 1.0, 'flagroute (decideSync)': 0.7 },
    adversarial: { flagroute: 1.2, 'flagroute (decideSync)': 0.9 },
  } as Record<'realistic' | 'adversarial', Record<string, number>>,
  reloadMedianMs: 60,
  reloadP95Ms: 150,
  loggingAddedNs: 2000,
  coldStartMs: 250,
  retainedHeapMb: 64,
};

const FLAGD = '@openfeature/flagd-core';

function table(timings: readonly Timing[]): string[] {
  const lines = [
    '| system | median ns/decision | min–max | ratio to flagroute |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const timing of [...timings].sort((a, b) => a.medianNs - b.medianNs)) {
    lines.push(
      `| ${timing.system} | ${timing.medianNs.toFixed(0)} | ${timing.minNs.toFixed(0)}–${timing.maxNs.toFixed(0)} | ${timing.ratio.toFixed(2)} |`,
    );
  }
  return lines;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** flagroute's time over flagd-core's in one comparison, with the spread of the rounds. */
function versusFlagd(timings: readonly Timing[], system: string) {
  const ours = timings.find((timing) => timing.system === system)!;
  const flagd = timings.find((timing) => timing.system === FLAGD)!;
  return {
    ratio: ours.medianNs / flagd.medianNs,
    // The widest the ratio could be given each side's fastest and slowest round.
    low: ours.minNs / flagd.maxNs,
    high: ours.maxNs / flagd.minNs,
  };
}

/** Whether flagroute met each target, as printed lines. */
export function targetLines(result: BenchResult): string[] {
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines: string[] = [];
  for (const workload of ['realistic', 'adversarial'] as const) {
    for (const [system, target] of Object.entries(TARGETS.versusFlagd[workload])) {
      const runs = result.comparisons[workload].map((timings) => versusFlagd(timings, system));
      const middle = median(runs.map((run) => run.ratio));
      const shown = runs
        .map((run) => `${run.ratio.toFixed(2)} (${run.low.toFixed(2)}–${run.high.toFixed(2)})`)
        .join(', ');
      lines.push(
        `- ${workload}, ${system} / ${FLAGD}: ${shown}; median of the three ${middle.toFixed(2)}, target <= ${target}: ${verdict(middle <= target)}`,
      );
    }
  }
  lines.push(
    `- reload latency: median ${result.reloadLatencyMs.medianMs} ms (target < ${TARGETS.reloadMedianMs}), p95 ${result.reloadLatencyMs.p95Ms} ms (target < ${TARGETS.reloadP95Ms}): ${verdict(result.reloadLatencyMs.medianMs < TARGETS.reloadMedianMs && result.reloadLatencyMs.p95Ms < TARGETS.reloadP95Ms)}`,
    `- memory: heap ${result.memory.heapStartMb} -> ${result.memory.heapEndMb} MB after ${result.memory.decisions.toLocaleString('en')} decisions and ${result.memory.outcomes.toLocaleString('en')} outcomes (bounded caches: up to 100,000 buckets and 10,000 outcomes per engine-run rule); target flat (at most 10 % above the start): ${result.memory.heapEndMb <= result.memory.heapStartMb * 1.1 ? 'met' : 'NOT met'}`,
  );
  return lines;
}

/** `docs/benchmarks.md`. */
export function renderMarkdown(result: BenchResult): string {
  const { machine } = result;
  return [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${machine.date}: ${machine.cpu}, ${machine.cores} cores, Node.js ${machine.node}, ${machine.platform} (this project's standard 2-core machine). Every system ran in the same process, on the same contexts, in alternating order; one warm-up pass, then ${result.options.rounds} timed passes of ${result.options.contexts.toLocaleString('en')} decisions each. The figures are the median, minimum and maximum of the passes; medians move by about 5 % from one run to the next on this shared machine, so ratios near 1.0 are parity. Machine-readable results: [benchmarks.json](benchmarks.json).`,
    '',
    "Every system implements the same routing: eligible when the query is 100 to 1000 code points long or of type metabolomics or clinical; then 25 % of users in us_east, 15 % in us_west, 10 % in europe and 10 % elsewhere go to the candidate. Each peer computes the query length the same way. Before timing, the benchmark checks on a sample that no peer sends an ineligible query to the candidate and that each region's candidate share is within 2.5 points of its percentage; the naive baseline uses flagroute's hash and must agree decision for decision. flagroute runs with its defaults (breaker, quality gate and decision counters on), once through its async `decide` (the ratio column's reference) and once through `decideSync`, each on its own router.",
    '',
    '## Realistic workload',
    '',
    'User ids from a Zipf distribution (s = 1.05) over one million users, query lengths log-normal (median about 90 characters), five query types and four regions.',
    '',
    ...table(result.workloads.realistic),
    '',
    '## Adversarial workload',
    '',
    'Every user id unique and query lengths cycling through 30,011 values, so no bounded cache keyed on ids or lengths hits.',
    '',
    ...table(result.workloads.adversarial),
    '',
    '## Other figures',
    '',
    `- decisions per second on one core (realistic): ${result.decisionsPerSecond.toLocaleString('en')}`,
    `- memory: heap ${result.memory.heapStartMb} MB -> ${result.memory.heapEndMb} MB, RSS ${result.memory.rssStartMb} MB -> ${result.memory.rssEndMb} MB after ${result.memory.decisions.toLocaleString('en')} decisions and ${result.memory.outcomes.toLocaleString('en')} recorded outcomes`,
    `- reload latency (rename-over save to the first decision on the new config, ${result.reloadLatencyMs.saves} saves): median ${result.reloadLatencyMs.medianMs} ms, p95 ${result.reloadLatencyMs.p95Ms} ms, max ${result.reloadLatencyMs.maxMs} ms`,
    '',
    '## Targets',
    '',
    ...targetLines(result),
    '',
    '## Where flagroute spends its time',
    '',
    '- **A profile by concept, and why the targets still missed stay missed:** [performance.md](performance.md).',
    '- **The cohort hash.** Python compatibility requires SHA-256 (`crypto.hash`, about 0.5 µs per identifier on this machine); flagd-core, GrowthBook and Unleash use MurmurHash or FNV. flagroute caches buckets per identifier (first in, first out, 100,000 by default, `bucketCacheSize`), which helps the realistic workload; the adversarial one pays it on every decision that reaches assignment (most of its queries are too long to be eligible, which is why it is the cheaper workload for every system).',
    "- **The promise.** `decide` is async because a rule may need json-rules-engine's asynchronous run; even when none does, returning a promise and awaiting it costs about 0.1 to 0.2 µs. `decideSync` removes that when every rule compiles (see docs/semantics.md).",
    '- **What the peers do not do.** Each flagroute decision also checks the context field by field, reads the circuit breaker and the quality gate, counts the decision per cohort and reason, and returns the rules tried with their outcomes. It is timed (`elapsedMs`) only when asked (`timeDecisions`, `explain`, detailed logging): two clock reads were about a sixth of a decision.',
    "- **Rules.** Plain-comparison rules run synchronously on json-rules-engine's own operators; rules that need `Engine.run` are memoised per fact value. See docs/architecture.md.",
    '',
  ].join('\n');
}
