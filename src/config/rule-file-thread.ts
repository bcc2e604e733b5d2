import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TimeSlice } from '../time-slice.js';
import type { NamePlace, NamePlaces, RuleFileResult } from './loaded-config.js';
import { checkRuleFileText } from './rule-file-text.js';
import type { RuleFileContent } from './types.js';

/**
 * Rule-file texts at least this long are checked on a worker thread. Parsing YAML is one
 * synchronous call of about 7 to 9 us a line here (a file of 10,000 rules: about 0.9 s), which
 * no time slicing can split; below this size it stays under about 5 ms on the event loop.
 */
export const OFF_THREAD_CHARS = 16 * 1024;

/** A job sent to the worker. */
export interface RuleFileJob {
  id: number;
  text: string;
  path: string;
  displayPath: string;
}

/**
 * A section of a valid rule file as the worker sends it: names, each entry's JSON and their
 * places (key line, key column, line, column per name). Structured clone of 10,000 entries
 * as objects took about 22 ms on the receiving event loop, in one piece; strings and an
 * Int32Array take about 1 ms, and the entries are parsed back a slice at a time.
 */
interface PackedSection {
  present: boolean;
  names: string[];
  entries: string[];
  places: Int32Array;
}

/** A rule-file result as the worker sends it: packed when valid, as it is otherwise. */
export type PackedRuleFile =
  | Extract<RuleFileResult, { ok: false }>
  | { ok: true; displayPath: string; rules: PackedSection; regions: PackedSection };

/** The worker's answer: the result, or the message of an error a bug threw. */
export type RuleFileReply = { id: number; result: PackedRuleFile } | { id: number; error: string };

const SECTIONS = [
  ['rules', 'routing_rules'],
  ['regions', 'geographic_routing'],
] as const;

/** Packs a result for the trip to the event loop (see {@link PackedSection}). */
export function packRuleFile(result: RuleFileResult): PackedRuleFile {
  if (!result.ok) return result;
  const pack = (places: NamePlaces, section: Record<string, unknown> | undefined) => {
    const names = Object.keys(section ?? {});
    const packed = new Int32Array(names.length * 4);
    names.forEach((name, index) => {
      const place = places.get(name)!;
      packed.set([place.keyLine, place.keyColumn, place.line, place.column], index * 4);
    });
    return {
      present: section !== undefined,
      names,
      entries: names.map((name) => JSON.stringify(section![name])),
      places: packed,
    };
  };
  const { content, places } = result;
  return {
    ok: true,
    displayPath: result.displayPath,
    rules: pack(places.rules, content.routing_rules),
    regions: pack(places.regions, content.geographic_routing),
  };
}

/**
 * The places of a packed section, read from its `Int32Array` when asked: no object per name
 * stays alive through the reload (see `CompiledRule` in src/rules for why that matters).
 */
class PackedPlaces implements NamePlaces {
  private readonly indexOf = new Map<string, number>();

  /** `names` are a section's keys, each once (`Object.keys`); `places` four numbers each. */
  constructor(
    names: readonly string[],
    private readonly places: Int32Array,
  ) {
    for (const [index, name] of names.entries()) this.indexOf.set(name, index * 4);
  }

  get(name: string): NamePlace | undefined {
    const at = this.indexOf.get(name);
    if (at === undefined) return undefined;
    const { places } = this;
    return {
      keyLine: places[at]!,
      keyColumn: places[at + 1]!,
      line: places[at + 2]!,
      column: places[at + 3]!,
    };
  }
}

const NO_PLACES: NamePlaces = new Map<string, NamePlace>();

/** Unpacks a worker's result, a slice of the event loop at a time. */
async function unpackRuleFile(packed: PackedRuleFile): Promise<RuleFileResult> {
  if (!packed.ok) return packed;
  const slice = new TimeSlice();
  const content: Record<string, Record<string, unknown>> = {};
  const places = { rules: NO_PLACES, regions: NO_PLACES };
  for (const [kind, key] of SECTIONS) {
    const { present, names, entries, places: at } = packed[kind];
    if (!present) continue;
    const section: Record<string, unknown> = {};
    for (const [index, name] of names.entries()) {
      section[name] = JSON.parse(entries[index]!);
      // Each entry's text dies once parsed, instead of living (and being copied by young-
      // generation collections) until the whole file is unpacked.
      entries[index] = '';
      if (slice.due()) await slice.next();
    }
    content[key] = section;
    places[kind] = new PackedPlaces(names, at);
  }
  return {
    ok: true,
    displayPath: packed.displayPath,
    content: content as RuleFileContent,
    places,
  };
}

type Waiting = { resolve: (result: PackedRuleFile) => void; reject: (error: Error) => void };

/**
 * The worker thread that checks large rule files, started on first use and kept for the next
 * reload. It holds the process open only while a job is waiting; when it fails, the jobs
 * waiting are rejected (the load reports them as a problem) and the next job starts another.
 */
class RuleFileThread {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: RuleFileReply) => this.answer(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the rule-file worker exited (${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
  }

  private static current: RuleFileThread | undefined;

  /** The worker, or undefined when its script is missing (the sources run by the tests). */
  static get(): RuleFileThread | undefined {
    if (RuleFileThread.current) return RuleFileThread.current;
    const script = new URL('./rule-file-worker.js', import.meta.url);
    if (!existsSync(fileURLToPath(script))) return undefined;
    RuleFileThread.current = new RuleFileThread(new Worker(script));
    return RuleFileThread.current;
  }

  async check(text: string, path: string, displayPath: string): Promise<RuleFileResult> {
    const id = this.nextId;
    this.nextId += 1;
    const packed = await new Promise<PackedRuleFile>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, text, path, displayPath } satisfies RuleFileJob);
    });
    return unpackRuleFile(packed);
  }

  private answer(reply: RuleFileReply): void {
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    if ('error' in reply) waiting.reject(new Error(reply.error));
    else waiting.resolve(reply.result);
  }

  private fail(error: Error): void {
    if (RuleFileThread.current === this) RuleFileThread.current = undefined;
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

/**
 * Checks the text of one rule file (see `checkRuleFileText`): on the event loop when it is
 * short, on a worker thread when it is at least {@link OFF_THREAD_CHARS} long, so that a
 * reload of a large file never stops decisions for the time of its parse.
 */
export function checkRuleFile(
  text: string,
  path: string,
  displayPath: string,
): RuleFileResult | Promise<RuleFileResult> {
  const thread = text.length >= OFF_THREAD_CHARS ? RuleFileThread.get() : undefined;
  return thread
    ? thread.check(text, path, displayPath)
    : checkRuleFileText(text, path, displayPath);
}
