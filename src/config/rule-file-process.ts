import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TimeSlice } from '../time-slice.js';
import type { RuleFileResult, RuleFileSection } from './loaded-config.js';
import { checkRuleFileText } from './rule-file-text.js';
import type { RegionRollout, RoutingRuleSpec } from './types.js';

/**
 * Rule-file texts at least this long are checked in a child process. Checking is one
 * synchronous call, which no time slicing can split: about 2 us a line on the fast YAML path
 * (a file of 10,000 rules: about 75 ms of CPU) and 7 to 9 us on the full one (about 0.9 s),
 * which a text outside the fast path's subset takes; below this size it stays under about 5 ms
 * on the event loop either way.
 */
export const OFF_THREAD_CHARS = 16 * 1024;

/** A job sent to the child: a text to check, or (no text) a question for its CPU time so far. */
export type RuleFileJob = { id: number } & (
  | { text: string; path: string; displayPath: string }
  | { text?: never }
);

/**
 * A section of a valid rule file as the child sends it: its columns, the values as JSON texts
 * of up to {@link VALUES_PER_TEXT} values each (a JSON list). Structured clone of 10,000 values
 * as objects took about 22 ms on the receiving event loop, in one piece; strings and an
 * Int32Array take about 1 ms, and the values are parsed back a text at a time. A text a value
 * made 10,000 calls of `JSON.stringify` here and of `JSON.parse` there: 6 and 4 ms for 10,000
 * rules, against 3 and 2.5 in texts of a few hundred.
 */
interface PackedSection {
  readonly names: readonly string[];
  readonly texts: string[];
  readonly places: Int32Array;
}

/** Values in one JSON text of a {@link PackedSection}: about 0.1 ms of `JSON.parse` each. */
const VALUES_PER_TEXT = 256;

/** A rule-file result as the child sends it: packed when valid, as it is otherwise. */
export type PackedRuleFile =
  | Extract<RuleFileResult, { ok: false }>
  | {
      ok: true;
      displayPath: string;
      rules: PackedSection;
      regions: PackedSection;
      rulesJson: string;
    };

/**
 * The child's answer: the result, or the message of an error a bug threw (nothing more to a
 * question for its CPU time); and the child's CPU time so far (its `process.cpuUsage()`, user
 * and system, µs), which this process's own `process.cpuUsage()` does not include.
 */
export type RuleFileReply = (
  | { result: PackedRuleFile }
  | { error: string }
  | { result?: never }
) & {
  id: number;
  cpuMicros: number;
};

/** Packs a result for the trip to the event loop (see {@link PackedSection}). */
export function packRuleFile(result: RuleFileResult): PackedRuleFile {
  if (!result.ok) return result;
  const pack = ({ names, values, places }: RuleFileSection<unknown>): PackedSection => {
    const texts: string[] = [];
    for (let first = 0; first < values.length; first += VALUES_PER_TEXT) {
      texts.push(JSON.stringify(values.slice(first, first + VALUES_PER_TEXT)));
    }
    return { names, texts, places };
  };
  return {
    ok: true,
    displayPath: result.displayPath,
    rules: pack(result.rules),
    regions: pack(result.regions),
    rulesJson: result.rulesJson,
  };
}

/** Unpacks a child's result, a slice of the event loop at a time. */
async function unpackRuleFile(packed: PackedRuleFile): Promise<RuleFileResult> {
  if (!packed.ok) return packed;
  const slice = new TimeSlice();
  const unpack = async <Value>({ names, texts, places }: PackedSection) => {
    const values: Value[] = [];
    for (let index = 0; index < texts.length; index += 1) {
      for (const value of JSON.parse(texts[index]!) as Value[]) values.push(value);
      // Each text dies once parsed, instead of living (and being copied by young-generation
      // collections) until the whole file is unpacked.
      texts[index] = '';
      if (slice.due()) await slice.next();
    }
    return { names, values, places };
  };
  return {
    ok: true,
    displayPath: packed.displayPath,
    rules: await unpack<RoutingRuleSpec>(packed.rules),
    regions: await unpack<RegionRollout>(packed.regions),
    rulesJson: packed.rulesJson,
  };
}

/** The child process failed (it exited, was killed, or its channel broke), not a file. */
class HelperFailed extends Error {
  constructor(what: string) {
    super(`the process that parses large rule files ${what}`);
  }
}

type Waiting = { resolve: (reply: RuleFileReply) => void; reject: (error: Error) => void };

/**
 * The process that checks large rule files, started on first use and kept for the next reload.
 * A process of its own, not a worker thread: a worker shares this process's address space, and
 * while it parsed a large file its heap's growth and release (mmap, munmap, madvise) held the
 * address space's lock that this thread's own page faults and allocations wait for: the event
 * loop slept up to 16 ms at a time in the kernel, with nothing to run (docs/performance.md).
 * It holds this process open only while a job is waiting, and ends by itself when this process
 * does (its channel closes). When it fails or exits, the jobs waiting are rejected (the load
 * reports them as a problem, the configuration served stays) and the next job starts another.
 */
class RuleFileProcess {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: RuleFileReply) => this.answer(reply));
    child.on('error', (error) => this.fail(new HelperFailed(error.message)));
    child.on('exit', (code, signal) => this.fail(new HelperFailed(`exited (${signal ?? code})`)));
    this.hold(false);
  }

  private static current: RuleFileProcess | undefined;

  /** CPU time of the processes that ended, and of the current one, as each last reported it. */
  private static endedCpuMicros = 0;
  private cpuMicros = 0;

  /** The process, or undefined when its script is missing (the sources run by the tests). */
  static get(): RuleFileProcess | undefined {
    if (RuleFileProcess.current) return RuleFileProcess.current;
    const script = fileURLToPath(new URL('./rule-file-child.js', import.meta.url));
    if (!existsSync(script)) return undefined;
    const child = fork(script, [], {
      // V8's serializer (strings and an Int32Array), as a worker thread's messages were.
      serialization: 'advanced',
      // Neither this process's flags (an inspector's port, a profiler) nor its environment
      // (which may hold the salt): the child needs none of them.
      execArgv: [],
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    RuleFileProcess.current = new RuleFileProcess(child);
    return RuleFileProcess.current;
  }

  /**
   * CPU time (ms) all processes that parsed large rule files have used: the ended ones as they
   * last reported it, the current one as it answers now (see {@link RuleFileReply}), so that
   * what it did after its last answer (the collection of a parse's garbage) is counted too.
   */
  static async cpuMs(): Promise<number> {
    const current = RuleFileProcess.current;
    if (current) {
      try {
        await current.request({ id: current.nextId });
      } catch {
        // It ended meanwhile: its last report was added to the ended processes' time.
      }
    }
    return (RuleFileProcess.endedCpuMicros + (RuleFileProcess.current?.cpuMicros ?? 0)) / 1000;
  }

  /** The child's packed result for one text; rejects with {@link HelperFailed} if it fails. */
  async post(text: string, path: string, displayPath: string): Promise<PackedRuleFile> {
    const reply = await this.request({ id: this.nextId, text, path, displayPath });
    if ('error' in reply) throw new Error(reply.error);
    if (!reply.result) throw new HelperFailed('answered a file without a result');
    return reply.result;
  }

  /** Sends one job (its id the next one); rejects with {@link HelperFailed} if the child fails. */
  private request(job: RuleFileJob): Promise<RuleFileReply> {
    this.nextId += 1;
    return new Promise<RuleFileReply>((resolve, reject) => {
      if (this.waiting.size === 0) this.hold(true);
      this.waiting.set(job.id, { resolve, reject });
      this.child.send(job, (error) => {
        if (error) this.fail(new HelperFailed(`could not be sent a job: ${error.message}`));
      });
    });
  }

  /** Whether the child (its process and its channel) keeps this process's event loop alive. */
  private hold(held: boolean): void {
    if (held) {
      this.child.ref();
      this.child.channel?.ref();
    } else {
      this.child.unref();
      this.child.channel?.unref();
    }
  }

  private answer(reply: RuleFileReply): void {
    this.cpuMicros = Math.max(this.cpuMicros, reply.cpuMicros);
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.hold(false);
    waiting.resolve(reply);
  }

  private fail(error: Error): void {
    if (RuleFileProcess.current === this) {
      RuleFileProcess.current = undefined;
      RuleFileProcess.endedCpuMicros += this.cpuMicros;
      this.cpuMicros = 0;
      this.child.kill();
    }
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
    this.hold(false);
  }
}

/**
 * CPU time (ms) used by the processes that parse large rule files, the current one asked now:
 * the part of a load's work that `process.cpuUsage()` does not count.
 */
export function ruleFileProcessCpuMs(): Promise<number> {
  return RuleFileProcess.cpuMs();
}

/**
 * Checks the text of one rule file (see `checkRuleFileText`): on the event loop when it is
 * short, in a child process when it is at least {@link OFF_THREAD_CHARS} long, so that a
 * reload of a large file never stops decisions for the time of its parse.
 */
export function checkRuleFile(
  text: string,
  path: string,
  displayPath: string,
): RuleFileResult | Promise<RuleFileResult> {
  const helper = text.length >= OFF_THREAD_CHARS ? RuleFileProcess.get() : undefined;
  return helper
    ? checkInChild(helper, text, path, displayPath)
    : checkRuleFileText(text, path, displayPath);
}

/**
 * Checks a text in the child process. A child that died (killed for its memory, by an
 * operator) before this process heard of it takes the job down with it: a new child gets the
 * job once more; if that one fails too, the load reports it as a problem.
 */
async function checkInChild(
  helper: RuleFileProcess,
  text: string,
  path: string,
  displayPath: string,
): Promise<RuleFileResult> {
  let packed: PackedRuleFile;
  try {
    packed = await helper.post(text, path, displayPath);
  } catch (error) {
    const next = error instanceof HelperFailed ? RuleFileProcess.get() : undefined;
    if (!next) throw error;
    packed = await next.post(text, path, displayPath);
  }
  return unpackRuleFile(packed);
}
