/**
 * Preloaded into a server under test (`node --import server-probe.js SERVER...`), so that the
 * bench sees from inside what stalls a server: the event loop's delays
 * (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and the garbage collector's pauses
 * (PerformanceObserver `gc` entries: young-generation scavenges and major collections apart).
 * It reads commands on stdin, one a line: `reset` starts a new window, `report` writes the
 * window's figures to stdout as one line `probe {...}`. It changes nothing else in the process.
 */
import {
  constants,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import { createInterface } from 'node:readline';

/** What a server under test did in one window, from inside. */
export interface ServerProbe {
  /** The event loop's delay: 99th percentile and the longest, ms. */
  delayP99Ms: number;
  delayMaxMs: number;
  /** Scavenges (young generation): how many, their summed and longest pause, ms. */
  minorCount: number;
  minorMs: number;
  minorMaxMs: number;
  /** Mark-compact (and incremental marking's finishing) pauses. */
  majorCount: number;
  majorMs: number;
  majorMaxMs: number;
  /** CPU time of the process in the window (all threads), ms, and the heap in use at its end, MB. */
  cpuMs: number;
  /** The window's length, ms (its CPU over this: the cores' worth the server used). */
  windowMs: number;
  /**
   * The share of the window the event loop was busy (not waiting for events): the server's
   * utilisation, about 1 when saturated, whether or not the machine gave it a core meanwhile.
   */
  loopBusyShare: number;
  heapUsedMb: number;
}

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let window = emptyWindow();
let cpuAtReset = process.cpuUsage();
let resetAt = performance.now();
let loopAtReset = performance.eventLoopUtilization();

function emptyWindow() {
  return { minorCount: 0, minorMs: 0, minorMaxMs: 0, majorCount: 0, majorMs: 0, majorMaxMs: 0 };
}

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      window.minorCount += 1;
      window.minorMs += entry.duration;
      window.minorMaxMs = Math.max(window.minorMaxMs, entry.duration);
    } else if (
      kind === constants.NODE_PERFORMANCE_GC_MAJOR ||
      kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL
    ) {
      window.majorCount += 1;
      window.majorMs += entry.duration;
      window.majorMaxMs = Math.max(window.majorMaxMs, entry.duration);
    }
  }
}).observe({ entryTypes: ['gc'] });

const commands = createInterface({ input: process.stdin });
// The probe must not keep a server alive that is asked to stop.
process.stdin.unref();
commands.on('line', (line) => {
  if (line === 'reset') {
    delay.reset();
    window = emptyWindow();
    cpuAtReset = process.cpuUsage();
    resetAt = performance.now();
    loopAtReset = performance.eventLoopUtilization();
  } else if (line === 'report') {
    const cpu = process.cpuUsage(cpuAtReset);
    const report: ServerProbe = {
      delayP99Ms: delay.percentile(99) / 1e6,
      delayMaxMs: delay.max / 1e6,
      ...window,
      cpuMs: (cpu.user + cpu.system) / 1000,
      windowMs: performance.now() - resetAt,
      loopBusyShare: performance.eventLoopUtilization(loopAtReset).utilization,
      heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
    };
    process.stdout.write(`probe ${JSON.stringify(report)}\n`);
  }
});
