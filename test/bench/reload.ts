import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** What the decision loop's waits were made of (reload-child.ts's blocksOf). */
export interface LoopBlocks {
  /** Garbage collection (main thread) inside the longest wait. */
  longestGcMs: number;
  /** The longest wait once the collections inside it are taken out. */
  longestOtherMs: number;
  /** In the longest wait: the main thread on a core, and runnable but waiting for one. */
  longestRanMs: number;
  longestQueuedMs: number;
  /**
   * The most the main thread ran in any one wait (Linux schedstat): the loop's block by this
   * process's own work (reload slices, decisions, collections), whatever else the machine ran.
   */
  mostRanMs: number;
  /** Garbage collection (main thread) inside that wait. */
  mostRanGcMs: number;
}

/** One size of configuration, reloaded while decisions run (see reload-child.ts). */
export interface ReloadSize extends LoopBlocks {
  rules: number;
  files: number;
  /** Each reload with nothing else running: wall time and the process's CPU time. */
  work: { wallMs: number; cpuMs: number }[];
  /** CPU time of the cheapest correct parse of the same files alone (best run): js-yaml with the fast path's schema. */
  floorCpuMs: number;
  /**
   * CPU time of all the work no design of a reload avoids (best run): the parse with positions,
   * the plain data, the schema's validation and one predicate per rule. The floor of the target.
   */
  floorWorkCpuMs: number;
  whileDeciding: { wallMs: number; cpuMs: number }[];
  /** The event loop's longest block during the reloads (monitorEventLoopDelay). */
  maxDelayMs: number;
  p99DelayMs: number;
  /** The longest wait between two turns of the decision loop during the reloads. */
  longestGapMs: number;
  /** The same while deciding alone. */
  baselineBlocks: LoopBlocks;
  /** The same two over as long a time of deciding without reloads. */
  baselineMaxDelayMs: number;
  baselineGapMs: number;
  decisions: number;
}

/** What the reload section measured. */
export interface ReloadResult {
  sizes: ReloadSize[];
  /** 20,000 rules given in LIGHTRAG_ROUTING_RULES through the library's `env` option. */
  envRules: { rules: number; startMs: number; reloadMs: number };
}

/** The configurations measured: rules and files. */
const SIZES = [
  [100, 1],
  [1_000, 1],
  [10_000, 1],
  [10_000, 10],
] as const;
const RELOADS = 3;
/** Targets of issue 28: work for 10,000 rules, and the longest block of the event loop. */
export const RELOAD_TARGETS = { workMs: 300, floorFactor: 1.1, maxBlockMs: 20 };

function child<T>(script: string, args: (string | number)[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(import.meta.dirname, script), ...args.map(String)],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as T)),
    );
  });
}

/** Runs each size in a process of its own, then the `env` option's large variable. */
export async function benchmarkReload(): Promise<ReloadResult> {
  const sizes: ReloadSize[] = [];
  for (const [rules, files] of SIZES) {
    sizes.push(await child<ReloadSize>('reload-child.js', [rules, files, RELOADS]));
  }
  const envRules = await child<ReloadResult['envRules']>('env-rules-child.js', [20_000]);
  return { sizes, envRules };
}

const best = (runs: { cpuMs: number }[]) => Math.min(...runs.map((run) => run.cpuMs));
const fixed = (value: number) => value.toFixed(0);

/** The reload section of docs/benchmarks.md. */
export function renderReload(result: ReloadResult): string[] {
  const lines = [
    '## Reload of large configurations',
    '',
    `Each configuration in a process of its own: rules half query-length, half query-type, in one or several rule files, plus ten regions; one rule edited before each \`router.reload()\`, so that every reload swaps in a new configuration (one changed key); ${RELOADS} reloads with nothing else running (the work: wall time, and CPU time of the process and of the child process that parses large files, from the reload's start until both have settled: the child is asked its CPU time every 20 ms until it stops growing, so that the collections a parse leaves after the child's answer are counted), then ${RELOADS} times while a loop makes 200 decisions a turn of the event loop (the longest block of the loop, by \`perf_hooks.monitorEventLoopDelay\` at 1 ms resolution, and the longest wait between two turns of the decision loop, with the main thread's garbage collection inside it (PerformanceObserver \`gc\` entries) and the longest wait once its collections are taken out: the reload's slices, a turn's decisions and the time the machine gave other processes), and as long again of deciding alone (the baseline: the loop's own collections and the machine's other work). Each wait is also split by Linux's schedstat of the main thread into its time on a core and its time runnable but waiting for one (the rest it was blocked, as a collection waiting for its helper threads); the most it ran in one wait is the block this process made itself. Every edited file's text is made before anything is measured (making it took 10 to 30 ms in one piece, which until session 9 counted as the reload's block). Two floors, measured in the same process after the reloads, the two taking turns at going first, best of ${2 * RELOADS} runs each: the cheapest correct parse of the same files alone (js-yaml with the schema of flagroute's fast YAML path, which reads these files to the same data as the \`yaml\` library at about an eighth of its cost; without the fast path's checks and places), and the work no design of a reload avoids, without a design's bookkeeping (that parse, the rule file schema's generated validator, and each rule and region compiled once into its predicate); the target's floor is the second. Until session 13 the floors parsed with the \`yaml\` library, the parser flagroute then used (with a line counter, and the document made plain data). Conditional routing is off in these configurations, so that a decision does not run ten thousand rules.`,
    '',
    '| rules | files | work: wall ms | work: CPU ms (best) | parse CPU ms (js-yaml, the fast path schema) | floor: parse, validate, compile CPU ms | CPU / floor | longest block ms (p99) | longest decision wait ms: of it GC | of it on a core / waiting for one ms | longest wait without GC ms | most the thread ran in one wait ms: of it GC | baseline block / wait ms | baseline: most ran ms |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const size of result.sizes) {
    lines.push(
      `| ${size.rules.toLocaleString('en')} | ${size.files} | ${size.work.map((run) => fixed(run.wallMs)).join(', ')} | ${fixed(best(size.work))} | ${fixed(size.floorCpuMs)} | ${fixed(size.floorWorkCpuMs)} | ${(best(size.work) / size.floorWorkCpuMs).toFixed(2)} | ${size.maxDelayMs.toFixed(1)} (${size.p99DelayMs.toFixed(1)}) | ${size.longestGapMs.toFixed(1)}: ${size.longestGcMs.toFixed(1)} | ${size.longestRanMs.toFixed(1)} / ${size.longestQueuedMs.toFixed(1)} | ${size.longestOtherMs.toFixed(1)} | ${size.mostRanMs.toFixed(1)}: ${size.mostRanGcMs.toFixed(1)} | ${size.baselineMaxDelayMs.toFixed(1)} / ${size.baselineGapMs.toFixed(1)} | ${size.baselineBlocks.mostRanMs.toFixed(1)} |`,
    );
  }
  const large = result.sizes.filter((size) => size.rules === 10_000);
  const thousand = result.sizes.find((size) => size.rules === 1_000 && size.files === 1)!;
  const ten = large.find((size) => size.files === 1)!;
  const perRule = (size: ReloadSize) => best(size.work) / size.rules;
  const worstBlock = Math.max(...result.sizes.map((size) => size.maxDelayMs));
  const worstRan = Math.max(...result.sizes.map((size) => size.mostRanMs));
  const baselineRan = Math.max(...result.sizes.map((size) => size.baselineBlocks.mostRanMs));
  const workMet = large.every(
    (size) =>
      best(size.work) < RELOAD_TARGETS.workMs ||
      best(size.work) <= size.floorWorkCpuMs * RELOAD_TARGETS.floorFactor,
  );
  lines.push(
    '',
    `- work for 10,000 rules: ${large.map((size) => `${fixed(best(size.work))} ms CPU in ${size.files} file${size.files > 1 ? 's' : ''} (floor ${fixed(size.floorWorkCpuMs)} ms, of it the parse ${fixed(size.floorCpuMs)} ms)`).join(', ')}; target < ${RELOAD_TARGETS.workMs} ms, or at most the floor plus 10 %: ${workMet ? 'met' : 'NOT met'}`,
    `- linear: CPU per rule ${(perRule(thousand) * 1000).toFixed(0)} µs at 1,000 rules, ${(perRule(ten) * 1000).toFixed(0)} µs at 10,000 (one file each)`,
    `- event loop blocked at most ${worstBlock.toFixed(1)} ms during a reload of any of these sizes (target <= ${RELOAD_TARGETS.maxBlockMs} ms): ${worstBlock <= RELOAD_TARGETS.maxBlockMs ? 'met' : 'NOT met'}; read it beside the baseline, which the machine's other work sets`,
    `- the main thread itself ran at most ${worstRan.toFixed(1)} ms in one wait of the decision loop during the reloads (its slices, a turn's decisions and its collections; Linux schedstat), ${baselineRan.toFixed(1)} ms while deciding alone: the rest of a longer block is time the thread was runnable and waited for a core`,
    `- ${result.envRules.rules.toLocaleString('en')} rules in LIGHTRAG_ROUTING_RULES through the library's \`env\` option: start ${fixed(result.envRules.startMs)} ms, reload ${fixed(result.envRules.reloadMs)} ms (the variable's text is parsed again only when it changes)`,
    '',
  );
  return lines;
}
