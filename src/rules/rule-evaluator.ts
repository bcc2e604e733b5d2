import { Engine } from 'json-rules-engine';
import { LRUCache } from 'lru-cache';
import stringify from 'safe-stable-stringify';
import { TimeSlice } from '../time-slice.js';
import type { CompiledRule } from './compile-rules.js';
import type { FactsPredicate } from './compiled-predicate.js';
import { factOf, type RuleFacts } from './facts.js';

/** Entries kept per rule in the outcome memo of rules run by `Engine.run`. */
export const DEFAULT_RULE_MEMO_SIZE = 10_000;
/** Bytes the memo of one rule may hold. */
export const RULE_MEMO_BYTES = 4 * 1024 * 1024;
/** Fact values whose key is longer than this are evaluated every time, never memoised. */
export const MAX_MEMO_KEY_LENGTH = 1024;
const MEMO_ENTRY_OVERHEAD_BYTES = 160;

/** Whether one rule matched, and the facts it read. */
export interface RuleOutcome {
  readonly name: string;
  readonly kind: 'eligibility' | 'geography';
  readonly matched: boolean;
  /** The facts the rule read, with their values (all facts when unknown). */
  readonly facts: Readonly<Record<string, unknown>>;
  /** For a matching geography rule: the region's rollout percentage. */
  readonly rolloutPercentage?: number;
}

/** Outcomes now when no rule needed `Engine.run`, else a promise of them. */
export type Outcomes = readonly RuleOutcome[] | Promise<readonly RuleOutcome[]>;

interface PreparedRule {
  readonly compiled: CompiledRule;
  /** The synchronous form on json-rules-engine's operators, when the rule allows one. */
  readonly predicate: FactsPredicate | null;
  /** The rule's own engine, when it has no predicate. */
  readonly engine: Engine | null;
  /** Outcomes of `Engine.run`, by the values of the facts the rule reads. */
  readonly memo: LRUCache<string | number, RuleOutcome> | null;
}

/** A region's geography rule with its two possible outcomes, built once. */
interface PreparedRegion {
  readonly rule: PreparedRule;
  readonly facts: RuleFacts;
  /**
   * The outcome when the rule has a synchronous predicate: the rule reads only the region, whose
   * value is fixed for this entry, so the predicate is run once, here.
   */
  readonly settled: readonly RuleOutcome[] | null;
}

const NO_OUTCOMES: readonly RuleOutcome[] = Object.freeze([]);

const MISSING = '\u0000undefined';

/**
 * Evaluates rules with json-rules-engine semantics, built once per loaded configuration. A rule
 * made of plain comparisons runs synchronously on json-rules-engine's own operators (see
 * `compilePredicate`); any other rule runs on its own `Engine`, with its outcome memoised on the
 * values of the facts it reads (bounded LRU, dropped with the configuration). When no rule
 * needed the engine, outcomes come back synchronously, sparing the caller a microtask.
 */
export class RuleEvaluator {
  private readonly eligibility: readonly PreparedRule[];
  private readonly regions: ReadonlyMap<string, PreparedRegion>;
  /** Rules that need `Engine.run` (none when every rule compiled to a synchronous predicate). */
  readonly asyncRules: readonly string[];

  /**
   * Prepares every rule (its engine, its predicate, its memo), giving the event loop back
   * every time `slice` is due.
   */
  static async build(
    rules: readonly CompiledRule[],
    memoSize = DEFAULT_RULE_MEMO_SIZE,
    slice = new TimeSlice(),
  ): Promise<RuleEvaluator> {
    const prepared: PreparedRule[] = [];
    for (const compiled of rules) {
      prepared.push(prepareRule(compiled, memoSize));
      if (slice.due()) await slice.next();
    }
    return new RuleEvaluator(prepared);
  }

  private constructor(prepared: readonly PreparedRule[]) {
    this.asyncRules = Object.freeze(
      prepared.filter((rule) => !rule.predicate).map((rule) => rule.compiled.name),
    );
    this.eligibility = prepared.filter((rule) => rule.compiled.kind === 'eligibility');
    this.regions = new Map(
      prepared
        .filter((rule) => rule.compiled.kind === 'geography')
        .map((rule) => [rule.compiled.name.slice('geography:'.length), prepareRegion(rule)]),
    );
  }

  /** Empties every rule's memo. */
  release(): void {
    for (const rule of this.eligibility) rule.memo?.clear();
    for (const region of this.regions.values()) region.rule.memo?.clear();
  }

  /** Evaluates every eligibility rule on the facts; the array is new, the caller's to keep. */
  evaluateEligibility(facts: RuleFacts): RuleOutcome[] | Promise<RuleOutcome[]> {
    const outcomes: (RuleOutcome | Promise<RuleOutcome>)[] = [];
    let pending = false;
    for (const rule of this.eligibility) {
      const outcome = evaluateOne(rule, facts);
      if (outcome instanceof Promise) pending = true;
      outcomes.push(outcome);
    }
    return pending ? Promise.all(outcomes) : (outcomes as RuleOutcome[]);
  }

  /** Evaluates the geography rule of `region`, if there is one; the array may be shared. */
  evaluateGeography(region: string): Outcomes {
    const entry = this.regions.get(region);
    if (!entry) return NO_OUTCOMES;
    if (entry.settled) return entry.settled;
    const outcome = evaluateOne(entry.rule, entry.facts);
    return outcome instanceof Promise ? outcome.then((one) => [one]) : [outcome];
  }
}

/** A rule's engine, its synchronous predicate when it has one, and its memo when it needs one. */
function prepareRule(compiled: CompiledRule, memoSize: number): PreparedRule {
  const predicate = compiled.predicate;
  let engine: Engine | null = null;
  if (compiled.rule) {
    engine = new Engine([], { allowUndefinedFacts: true });
    engine.addRule(compiled.rule);
  }
  const memo =
    !predicate && compiled.factsRead && memoSize > 0
      ? new LRUCache<string | number, RuleOutcome>({
          max: memoSize,
          maxSize: RULE_MEMO_BYTES,
          // The key and the facts kept in the outcome hold the same values: count both.
          sizeCalculation: (_, key) =>
            (typeof key === 'string' ? key.length * 4 : 16) + MEMO_ENTRY_OVERHEAD_BYTES,
        })
      : null;
  return { compiled, predicate, engine, memo };
}

/** A region's rule, with its outcome when a synchronous predicate can settle it now. */
function prepareRegion(rule: PreparedRule): PreparedRegion {
  const facts = { region: rule.compiled.name.slice('geography:'.length) };
  const settled = rule.predicate
    ? Object.freeze([outcomeOf(rule.compiled, facts, rule.predicate(facts), true)])
    : null;
  return { rule, facts, settled };
}

function evaluateOne(rule: PreparedRule, facts: RuleFacts): RuleOutcome | Promise<RuleOutcome> {
  if (rule.predicate) return outcomeOf(rule.compiled, facts, rule.predicate(facts));
  const engine = rule.engine!;
  const read = rule.compiled.factsRead;
  const built = rule.memo && read ? memoKey(read, facts) : undefined;
  const key = typeof built === 'string' && built.length > MAX_MEMO_KEY_LENGTH ? undefined : built;
  // The outcome is a function of the facts the rule reads, so the memo keeps it whole.
  const cached = key === undefined ? undefined : rule.memo?.get(key);
  if (cached !== undefined) return cached;
  return engine.run({ ...facts }).then(({ results }) => {
    const outcome = outcomeOf(rule.compiled, facts, results.length > 0, key !== undefined);
    if (key !== undefined) rule.memo?.set(key, outcome);
    return outcome;
  });
}

/**
 * An outcome whose `facts` are picked from the facts only when read (by explain, a log line or
 * JSON): deciding never pays for them.
 */
class LazyOutcome implements RuleOutcome {
  readonly name: string;
  readonly kind: RuleOutcome['kind'];
  readonly matched: boolean;
  readonly rolloutPercentage?: number;
  readonly #compiled: CompiledRule;
  readonly #source: RuleFacts;
  #facts: Readonly<Record<string, unknown>> | undefined;

  constructor(compiled: CompiledRule, source: RuleFacts, matched: boolean) {
    this.name = compiled.name;
    this.kind = compiled.kind;
    this.matched = matched;
    if (matched && compiled.rolloutPercentage !== undefined)
      this.rolloutPercentage = compiled.rolloutPercentage;
    this.#compiled = compiled;
    this.#source = source;
  }

  get facts(): Readonly<Record<string, unknown>> {
    this.#facts ??= factValues(this.#compiled, this.#source);
    return this.#facts;
  }

  toJSON(): RuleOutcome {
    return {
      name: this.name,
      kind: this.kind,
      matched: this.matched,
      facts: this.facts,
      ...(this.rolloutPercentage === undefined
        ? {}
        : { rolloutPercentage: this.rolloutPercentage }),
    };
  }
}

function outcomeOf(
  compiled: CompiledRule,
  facts: RuleFacts,
  matched: boolean,
  keep = false,
): RuleOutcome {
  if (!keep) return new LazyOutcome(compiled, facts, matched);
  // Outcomes that are kept and shared (memo, regions) are plain and frozen.
  return Object.freeze({
    name: compiled.name,
    kind: compiled.kind,
    matched,
    facts: Object.freeze(factValues(compiled, facts)),
    ...(matched && compiled.rolloutPercentage !== undefined
      ? { rolloutPercentage: compiled.rolloutPercentage }
      : {}),
  });
}

/** The facts a rule read, with their values; every fact when that cannot be known. */
function factValues(compiled: CompiledRule, facts: RuleFacts): Record<string, unknown> {
  const read = compiled.factsRead;
  if (!read) return { ...facts };
  const picked: Record<string, unknown> = Object.create(null);
  for (const name of read) picked[name] = factOf(facts, name);
  return picked;
}

function memoKey(read: readonly string[], facts: RuleFacts): string | number {
  if (read.length === 1) {
    const value = factOf(facts, read[0]!);
    if (typeof value === 'number') return value;
    if (typeof value === 'string') return `s${value}`;
    if (value === undefined) return MISSING;
    return `j${stringify(value)}`;
  }
  return stringify(read.map((name) => factOf(facts, name) ?? MISSING)) ?? '';
}
