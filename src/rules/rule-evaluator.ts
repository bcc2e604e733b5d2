import { Engine } from 'json-rules-engine';
import { LRUCache } from 'lru-cache';
import stringify from 'safe-stable-stringify';
import type { CompiledRule } from './compile-rules.js';
import type { RuleFacts } from './facts.js';

/** Entries kept per rule in the outcome memo. */
export const DEFAULT_RULE_MEMO_SIZE = 10_000;

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

interface MemoisedRule {
  readonly compiled: CompiledRule;
  readonly engine: Engine;
  readonly memo: LRUCache<string | number, RuleOutcome> | null;
}

/** Outcomes now when every rule was answered from the memo, else a promise of them. */
export type Outcomes = RuleOutcome[] | Promise<RuleOutcome[]>;

const MISSING = '\u0000undefined';

/**
 * Runs rules on json-rules-engine, one engine per rule built at load. A rule's outcome depends
 * only on the facts it reads, so it is memoised on their values (bounded LRU); the memo lives
 * and dies with the loaded config, so no outcome outlives a reload. When every rule is answered
 * from the memo the outcomes come back synchronously, sparing the caller a microtask.
 */
export class RuleEvaluator {
  private readonly eligibility: readonly MemoisedRule[];
  private readonly geography: ReadonlyMap<string, MemoisedRule>;
  /** The compiled rules, eligibility first, in file order. */
  readonly compiledRules: readonly CompiledRule[];

  constructor(rules: readonly CompiledRule[], memoSize = DEFAULT_RULE_MEMO_SIZE) {
    const memoised = rules.map((compiled): MemoisedRule => {
      const engine = new Engine([], { allowUndefinedFacts: true });
      engine.addRule(compiled.rule);
      return {
        compiled,
        engine,
        memo: compiled.factsRead && memoSize > 0 ? new LRUCache({ max: memoSize }) : null,
      };
    });
    this.compiledRules = rules;
    this.eligibility = memoised.filter((rule) => rule.compiled.kind === 'eligibility');
    this.geography = new Map(
      memoised
        .filter((rule) => rule.compiled.kind === 'geography')
        .map((rule) => [rule.compiled.name.slice('geography:'.length), rule]),
    );
  }

  /** Whether any eligibility rule is loaded. */
  get hasEligibilityRules(): boolean {
    return this.eligibility.length > 0;
  }

  /** Evaluates every eligibility rule on the facts. */
  evaluateEligibility(facts: RuleFacts): Outcomes {
    return this.evaluateAll(this.eligibility, facts);
  }

  /** Evaluates the geography rule of `region`, if there is one. */
  evaluateGeography(region: string): Outcomes {
    const rule = this.geography.get(region);
    return rule ? this.evaluateAll([rule], { region }) : [];
  }

  private evaluateAll(rules: readonly MemoisedRule[], facts: RuleFacts): Outcomes {
    const outcomes: (RuleOutcome | Promise<RuleOutcome>)[] = [];
    let pending = false;
    for (const rule of rules) {
      const outcome = this.evaluateOne(rule, facts);
      if (outcome instanceof Promise) pending = true;
      outcomes.push(outcome);
    }
    return pending ? Promise.all(outcomes) : (outcomes as RuleOutcome[]);
  }

  private evaluateOne(rule: MemoisedRule, facts: RuleFacts): RuleOutcome | Promise<RuleOutcome> {
    const read = rule.compiled.factsRead;
    const key = rule.memo && read ? memoKey(read, facts) : undefined;
    // The outcome is a function of the facts the rule reads, so the memo keeps it whole.
    const cached = key === undefined ? undefined : rule.memo?.get(key);
    if (cached !== undefined) return cached;
    return rule.engine.run({ ...facts }).then(({ results }) => {
      const outcome = outcomeOf(rule.compiled, facts, results.length > 0);
      if (key !== undefined) rule.memo?.set(key, outcome);
      return outcome;
    });
  }
}

function outcomeOf(compiled: CompiledRule, facts: RuleFacts, matched: boolean): RuleOutcome {
  const read = compiled.factsRead;
  const outcome: RuleOutcome = {
    name: compiled.name,
    kind: compiled.kind,
    matched,
    facts: Object.freeze(read ? pick(facts, read) : { ...facts }),
    ...(matched && compiled.rolloutPercentage !== undefined
      ? { rolloutPercentage: compiled.rolloutPercentage }
      : {}),
  };
  return Object.freeze(outcome);
}

function pick(facts: RuleFacts, names: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names) picked[name] = facts[name];
  return picked;
}

function memoKey(read: readonly string[], facts: RuleFacts): string | number {
  if (read.length === 1) {
    const value = facts[read[0]!];
    if (typeof value === 'number') return value;
    if (typeof value === 'string') return `s${value}`;
    if (value === undefined) return MISSING;
    return `j${stringify(value)}`;
  }
  return stringify(read.map((name) => facts[name] ?? MISSING)) ?? '';
}
