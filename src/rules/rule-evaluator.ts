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
  readonly memo: LRUCache<string | number, boolean> | null;
}

const MISSING = '\u0000undefined';

/**
 * Runs rules on json-rules-engine, one engine per rule built at load. A rule's outcome depends
 * only on the facts it reads, so it is memoised on their values (bounded LRU); the memo lives
 * and dies with the loaded config, so no outcome outlives a reload.
 */
export class RuleEvaluator {
  private readonly rules: readonly MemoisedRule[];

  constructor(rules: readonly CompiledRule[], memoSize = DEFAULT_RULE_MEMO_SIZE) {
    this.rules = rules.map((compiled) => {
      const engine = new Engine([], { allowUndefinedFacts: true });
      engine.addRule(compiled.rule);
      return {
        compiled,
        engine,
        memo: compiled.factsRead && memoSize > 0 ? new LRUCache({ max: memoSize }) : null,
      };
    });
  }

  /** The compiled rules, eligibility first, in file order. */
  get compiledRules(): readonly CompiledRule[] {
    return this.rules.map((rule) => rule.compiled);
  }

  /** Evaluates the rules of one kind on the facts; geography rules only for the region given. */
  async evaluate(kind: CompiledRule['kind'], facts: RuleFacts): Promise<RuleOutcome[]> {
    const outcomes: RuleOutcome[] = [];
    for (const rule of this.rules) {
      if (rule.compiled.kind !== kind) continue;
      if (kind === 'geography' && rule.compiled.name !== `geography:${String(facts.region)}`) {
        continue;
      }
      outcomes.push(await this.evaluateOne(rule, facts));
    }
    return outcomes;
  }

  private async evaluateOne(rule: MemoisedRule, facts: RuleFacts): Promise<RuleOutcome> {
    const read = rule.compiled.factsRead;
    const readFacts = read ? pick(facts, read) : facts;
    const key = rule.memo && read ? memoKey(read, facts) : undefined;
    let matched = key === undefined ? undefined : rule.memo?.get(key);
    if (matched === undefined) {
      const { results } = await rule.engine.run({ ...facts });
      matched = results.length > 0;
      if (key !== undefined) rule.memo?.set(key, matched);
    }
    const outcome: RuleOutcome = {
      name: rule.compiled.name,
      kind: rule.compiled.kind,
      matched,
      facts: readFacts,
    };
    return matched && rule.compiled.rolloutPercentage !== undefined
      ? { ...outcome, rolloutPercentage: rule.compiled.rolloutPercentage }
      : outcome;
  }
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
