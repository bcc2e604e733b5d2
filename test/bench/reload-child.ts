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
 * baseline); and the floor, the YAML parse of the same files alone. The waits are taken apart:
 * how much of the longest was garbage collection (PerformanceObserver's gc entries), and the
 * longest wait without its collections.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createRouter } from 'flagroute';
import { pino } from 'pino';
import { parseDocument } from 'yaml';
import { writeFirstRuleFile, writeRuleConfig } from './rule-configs.js';

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
/**
 * Edits one rule and reloads, `reloads` times; each run's wall time and the process's CPU time
 * during it (the edit's write not included).
 */
async function reloadRuns(): Promise<{ wallMs: number; cpuMs: number }[]> {
  const runs: { wallMs: number; cpuMs: number }[] = [];
  for (let run = 0; run < reloads; run += 1) {
    edits += 1;
    await writeFirstRuleFile(dir, rules, files, edits);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const outcome = await router.reload();
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (!outcome.ok || outcome.changedKeys.length !== 1) {
      throw new Error(`the reload did not change one rule: ${JSON.stringify(outcome)}`);
    }
    runs.push({ wallMs, cpuMs: (used.user + used.system) / 1000 });
  }
  return runs;
}

// The work: reloads with nothing else running, so that the CPU time is the reload's alone.
const work = await reloadRuns();
// The stall: the same reloads while a loop keeps deciding.
const context = { userId: 'u', region: 'region_3', queryType: 'clinical', queryText: 'x' };
let deciding = true;
let longestGapMs = 0;
let decisions = 0;
/** Waits of the decision loop longer than 5 ms: [start, end] on the performance clock. */
let gaps: [number, number][] = [];
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
  while (deciding) {
    for (let index = 0; index < 200; index += 1) {
      context.userId = `user-${decisions % 50_000}`;
      router.decideSync(context);
      decisions += 1;
    }
    await nextTurn();
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    if (now - last > 5) gaps.push([last, now]);
    last = now;
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
// The floor: the YAML library's parse of the same files (with source positions, as flagroute
// needs them for file:line:col), the one step no design of the reload avoids. Best of as many
// runs as there were reloads.
const texts = await Promise.all(
  (await readdir(join(dir, 'rules'))).map((name) => readFile(join(dir, 'rules', name), 'utf8')),
);
const floorRuns: number[] = [];
for (let run = 0; run < reloads; run += 1) {
  const cpu = process.cpuUsage();
  for (const text of texts) parseDocument(text, { uniqueKeys: false, strict: true });
  const used = process.cpuUsage(cpu);
  floorRuns.push((used.user + used.system) / 1000);
}
await rm(dir, { recursive: true, force: true });

/**
 * What the loop's waits were made of: the longest wait's garbage collection, and the longest
 * wait once the collections inside it are taken out (the work of the reload's slices, the
 * decisions of the turn, and the time the machine gave other processes).
 */
function blocksOf(waits: [number, number][]): { longestGcMs: number; longestOtherMs: number } {
  let longest: [number, number] = [0, 0];
  let longestOtherMs = 0;
  const gcIn = ([start, end]: [number, number]) =>
    collections.reduce(
      (sum, [from, to]) => sum + Math.max(0, Math.min(end, to) - Math.max(start, from)),
      0,
    );
  for (const wait of waits) {
    if (wait[1] - wait[0] > longest[1] - longest[0]) longest = wait;
    longestOtherMs = Math.max(longestOtherMs, wait[1] - wait[0] - gcIn(wait));
  }
  return { longestGcMs: gcIn(longest), longestOtherMs };
}
process.stdout.write(
  JSON.stringify({
    rules,
    files,
    work,
    floorCpuMs: Math.min(...floorRuns),
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
