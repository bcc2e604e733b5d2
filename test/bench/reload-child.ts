/**
 * The reload measurement, in a process of its own: `node reload-child.js RULES FILES RELOADS`
 * writes a configuration of RULES rules in FILES rule files, and reloads it RELOADS times with
 * nothing else running, then RELOADS times while a loop keeps deciding (200 decisions a turn of
 * the event loop); before each reload one rule is edited (the first file rewritten), so that
 * every reload swaps in a new configuration and reports one changed key, as an edit in
 * production does. It prints, as JSON, each reload's wall time and CPU time (the process's,
 * worker threads included), the longest the event loop was blocked during the reloads
 * (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and the longest wait between two turns of
 * the decision loop, and both again for as long a time of deciding without reloads (the
 * baseline); and two floors: the YAML parse of the same files alone, and all the work no design
 * avoids (parse, plain data, validation, one predicate per rule). The waits are taken apart:
 * how much of the longest was garbage collection (PerformanceObserver's gc entries), and the
 * longest wait without its collections.
 */
import { openSync, readSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createRouter } from 'flagroute';
import {
  compilePredicate,
  ruleFileProcessCpuMs,
  toEngineRule,
  validateRuleFile,
  yamlSubsetSchema,
} from 'flagroute/internals';
import { load } from 'js-yaml';
import { pino } from 'pino';
import type { LoopBlocks } from './reload.js';
import { FIRST_RULE_FILE, firstRuleFileText, writeRuleConfig } from './rule-configs.js';

const [rules = 1000, files = 1, reloads = 5] = process.argv.slice(2).map(Number);
const { dir } = await writeRuleConfig(rules, files);
const router = await createRouter({
  configDir: dir,
  environment: 'bench',
  env: {},
  watch: false,
  stabilityMs: 0,
  logger: pino({ level: 'silent' }),
});
let edits = 0;
// Every edit's text is made before anything is measured: making the text of 10,000 rules is
// 10 to 30 ms of this thread in one piece, which the loop's longest block counted as the
// reload's until session 9.
const editedTexts = Array.from({ length: 2 * reloads }, (_, index) =>
  Buffer.from(firstRuleFileText(rules, files, index + 1)),
);
const schedstatBuffer = Buffer.alloc(128);
const schedstatFd = (() => {
  try {
    return openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
})();
/**
 * Edits one rule and reloads, `reloads` times; each run's wall time and the process's CPU time
 * during it (the edit's write not included).
 */
async function reloadRuns(): Promise<{ wallMs: number; cpuMs: number }[]> {
  const runs: { wallMs: number; cpuMs: number }[] = [];
  for (let run = 0; run < reloads; run += 1) {
    await writeFile(join(dir, FIRST_RULE_FILE), editedTexts[edits]!);
    edits += 1;
    const cpu = process.cpuUsage();
    // A large file is parsed in a child process, whose CPU time this process's does not count.
    const childCpu = await ruleFileProcessCpuMs();
    const started = performance.now();
    const outcome = await router.reload();
    const wallMs = performance.now() - started;
    // The work ends when both processes have done what the reload left them (the child's
    // collection of a parse's garbage after its answer, this process's concurrent sweeping).
    const childCpuMs = (await settledChildCpuMs()) - childCpu;
    const used = process.cpuUsage(cpu);
    if (!outcome.ok || outcome.changedKeys.length !== 1) {
      throw new Error(`the reload did not change one rule: ${JSON.stringify(outcome)}`);
    }
    runs.push({ wallMs, cpuMs: (used.user + used.system) / 1000 + childCpuMs });
  }
  return runs;
}

/**
 * The child process's CPU time (ms) once it has stopped using any: asked every 20 ms until two
 * answers are within 0.5 ms of each other (or for at most 2 s). Its answer to the reload's last
 * file came before the collections of that parse, which this counts.
 */
async function settledChildCpuMs(): Promise<number> {
  const deadline = performance.now() + 2000;
  let last = await ruleFileProcessCpuMs();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = await ruleFileProcessCpuMs();
    if (now - last < 0.5) return now;
    last = now;
  }
  return last;
}

// The work: reloads with nothing else running, so that the CPU time is the reload's alone.
const work = await reloadRuns();
// The stall: the same reloads while a loop keeps deciding.
const context = { userId: 'u', region: 'region_3', queryType: 'clinical', queryText: 'x' };
let deciding = true;
let longestGapMs = 0;
let decisions = 0;
/**
 * Waits of the decision loop longer than 5 ms: start and end on the performance clock, and how
 * much of it this thread ran and how much it waited, runnable, for a core (see schedstat).
 */
let gaps: Wait[] = [];
/** The main thread's garbage collections: [start, end] on the same clock. */
const collections: [number, number][] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    collections.push([entry.startTime, entry.startTime + entry.duration]);
  }
});
observer.observe({ entryTypes: ['gc'] });
const loop = (async () => {
  let last = performance.now();
  let lastThread = schedstat();
  while (deciding) {
    for (let index = 0; index < 200; index += 1) {
      context.userId = `user-${decisions % 50_000}`;
      router.decideSync(context);
      decisions += 1;
    }
    await nextTurn();
    const now = performance.now();
    const thread = schedstat();
    longestGapMs = Math.max(longestGapMs, now - last);
    if (now - last > 5) {
      gaps.push({
        start: last,
        end: now,
        ranMs: thread && lastThread ? thread.ranMs - lastThread.ranMs : Number.NaN,
        queuedMs: thread && lastThread ? thread.queuedMs - lastThread.queuedMs : Number.NaN,
      });
    }
    last = now;
    lastThread = thread;
  }
})();
// The baseline: as long again of deciding alone, for the stalls the loop has without reloads
// (its own collections, the machine's other work).
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
await sleep(100);
const baseline = monitorEventLoopDelay({ resolution: 1 });
longestGapMs = 0;
baseline.enable();
await sleep(
  Math.max(
    500,
    work.reduce((sum, run) => sum + run.wallMs, 0),
  ),
);
baseline.disable();
const baselineGapMs = longestGapMs;
const baselineBlocks = blocksOf(gaps);
longestGapMs = 0;
gaps = [];
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const whileDeciding = await reloadRuns();
delay.disable();
deciding = false;
await loop;
observer.disconnect();
const blocks = blocksOf(gaps);
await router.close();
// The floors, best of twice as many runs as there were reloads. The cheapest correct parse of the
// same files alone, the one step no design of the reload avoids: js-yaml with the schema of
// flagroute's fast YAML path (plain scalars as the `yaml` library's core schema reads them),
// which reads a valid rule file to the same data as the `yaml` library at about an eighth of its
// cost, without even the fast path's checks and places; and all the work no design avoids,
// without a design's bookkeeping: that parse, the rule file schema's validation (the generated
// Ajv validator a load runs), and each rule and region compiled once into its predicate.
const texts = await Promise.all(
  (await readdir(join(dir, 'rules'))).map((name) => readFile(join(dir, 'rules', name), 'utf8')),
);
const floorRuns: number[] = [];
const floorWorkRuns: number[] = [];
const parseAlone = () => {
  for (const text of texts) load(text, { schema: yamlSubsetSchema });
};
const allUnavoidable = () => {
  for (const text of texts) unavoidableWork(text);
};
// The two floors take turns at going first, best of twice as many runs as reloads: the parse
// alone, always measured first on a heap of the reloads' garbage, once paid for collections
// that were not its own and came out above the whole floor of the same run (580 against 533
// ms). No collection is forced before a step: a full collection shrinks the young generation,
// and the same work then cost 35 to 40 % more (more scavenges, more promoted).
for (let run = 0; run < 2 * reloads; run += 1) {
  const order =
    run % 2 === 0
      ? ([parseAlone, allUnavoidable] as const)
      : ([allUnavoidable, parseAlone] as const);
  for (const step of order) {
    const ms = cpuMsOf(step);
    (step === parseAlone ? floorRuns : floorWorkRuns).push(ms);
  }
}

/** The process's CPU time of `step`. */
function cpuMsOf(step: () => void): number {
  const cpu = process.cpuUsage();
  step();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000;
}

/** The parse, schema validation, one predicate per rule and region. */
function unavoidableWork(text: string): void {
  const data: unknown = load(text, { schema: yamlSubsetSchema });
  if (!validateRuleFile(data)) throw new Error('the bench wrote an invalid rule file');
  for (const spec of Object.values(data.routing_rules ?? {})) {
    if (!compilePredicate(toEngineRule(spec).conditions)) throw new Error('no predicate');
  }
  for (const region of Object.keys(data.geographic_routing ?? {})) {
    compilePredicate({ all: [{ fact: 'region', operator: 'equal', value: region }] });
  }
}
await rm(dir, { recursive: true, force: true });

/** A wait of the decision loop (see {@link gaps}). */
interface Wait {
  start: number;
  end: number;
  ranMs: number;
  queuedMs: number;
}

/**
 * This thread's time on a core and time runnable but waiting for one, from Linux's
 * `/proc/thread-self/schedstat` (nanoseconds; read with one `pread`, about 15 µs), or undefined
 * where there is none. It tells a block this process made (its code, its collections) from a
 * block the machine made (other processes on both cores).
 */
function schedstat(): { ranMs: number; queuedMs: number } | undefined {
  if (schedstatFd === undefined) return undefined;
  const length = readSync(schedstatFd, schedstatBuffer, 0, schedstatBuffer.length, 0);
  const [ran = '', queued = ''] = schedstatBuffer.toString('latin1', 0, length).split(' ');
  return { ranMs: Number(ran) / 1e6, queuedMs: Number(queued) / 1e6 };
}

/**
 * What the loop's waits were made of: the longest wait's garbage collection, this thread's
 * time on a core and its time waiting for one in it, and the longest wait once the collections
 * inside it are taken out (the work of the reload's slices, the decisions of the turn, and the
 * time the machine gave other processes); and the most this thread ran in any one wait (its
 * own block of the loop, collections included, whatever the machine did).
 */
function blocksOf(waits: Wait[]): LoopBlocks {
  let longest: Wait = { start: 0, end: 0, ranMs: 0, queuedMs: 0 };
  let longestOtherMs = 0;
  let mostRanMs = 0;
  let mostRanGcMs = 0;
  const gcIn = ({ start, end }: Wait) =>
    collections.reduce(
      (sum, [from, to]) => sum + Math.max(0, Math.min(end, to) - Math.max(start, from)),
      0,
    );
  for (const wait of waits) {
    if (wait.end - wait.start > longest.end - longest.start) longest = wait;
    longestOtherMs = Math.max(longestOtherMs, wait.end - wait.start - gcIn(wait));
    if (wait.ranMs > mostRanMs) {
      mostRanMs = wait.ranMs;
      mostRanGcMs = gcIn(wait);
    }
  }
  return {
    longestGcMs: gcIn(longest),
    longestOtherMs,
    longestRanMs: longest.ranMs,
    longestQueuedMs: longest.queuedMs,
    mostRanMs,
    mostRanGcMs,
  };
}
process.stdout.write(
  JSON.stringify({
    rules,
    files,
    work,
    floorCpuMs: Math.min(...floorRuns),
    floorWorkCpuMs: Math.min(...floorWorkRuns),
    whileDeciding,
    maxDelayMs: delay.max / 1e6,
    p99DelayMs: delay.percentile(99) / 1e6,
    longestGapMs,
    ...blocks,
    baselineBlocks,
    baselineMaxDelayMs: baseline.max / 1e6,
    baselineGapMs,
    decisions,
  }),
);
