import { Rule } from 'json-rules-engine';
import type { ConfigIssue, ConfigResult } from '../config/issues.js';
import type { LoadedRegion, LoadedRule } from '../config/load-config.js';
import type { EngineConditionSpec, EngineRuleSpec, RoutingRuleSpec } from '../config/types.js';
import { TimeSlice } from '../time-slice.js';
import { compilePredicate, type FactsPredicate } from './compiled-predicate.js';

/** The event an eligibility rule fires when it matches. */
export const ELIGIBLE_EVENT = 'eligible';
/** The event a geography rule fires when the region matches. */
export const GEOGRAPHY_EVENT = 'geography';

/**
 * A rule compiled for json-rules-engine, with the facts its outcome depends on. It keeps only
 * what deciding reads: a configuration of 10,000 rules keeps 10,000 of these, and every object
 * one holds is copied by the young-generation collections that run while a reload builds them
 * (their pauses held the event loop for longest during a reload; see docs/performance.md).
 */
export interface CompiledRule {
  readonly name: string;
  readonly kind: 'eligibility' | 'geography';
  /** The synchronous form on json-rules-engine's operators, when the rule allows one. */
  readonly predicate: FactsPredicate | null;
  /**
   * The rule for json-rules-engine's own `Engine.run`, kept only when there is no predicate:
   * every rule is built once, so that json-rules-engine rejects what it would reject, but a
   * rule and an engine kept for each of 10,000 rules that never run on them made the reload's
   * garbage collections copy tens of megabytes.
   */
  readonly rule: Rule | null;
  /**
   * The facts the rule reads, or null when that cannot be known (it then is never memoised);
   * one frozen list shared by every rule that reads the same facts.
   */
  readonly factsRead: readonly string[] | null;
  /** For geography rules: the region's rollout percentage. */
  readonly rolloutPercentage?: number;
}

/** Turns the guide's shorthand into json-rules-engine conditions. */
export function toEngineRule(spec: RoutingRuleSpec): EngineRuleSpec {
  if ('conditions' in spec) return spec;
  if (spec.type === 'query_length') {
    const all: EngineConditionSpec[] = [
      { fact: 'queryLength', operator: 'greaterThanInclusive', value: spec.min_length ?? 0 },
    ];
    if (spec.max_length !== undefined) {
      all.push({ fact: 'queryLength', operator: 'lessThanInclusive', value: spec.max_length });
    }
    return { conditions: { all } };
  }
  return {
    conditions: { all: [{ fact: 'queryType', operator: 'in', value: [...spec.allowed_types] }] },
  };
}

/** The facts a condition tree reads, or null when it uses shared conditions. */
export function factsReadBy(condition: EngineConditionSpec): string[] | null {
  const facts = new Set<string>();
  const walk = (node: EngineConditionSpec): boolean => {
    if (node.condition !== undefined) return false;
    for (const child of [...(node.all ?? []), ...(node.any ?? [])]) if (!walk(child)) return false;
    if (node.not && !walk(node.not)) return false;
    if (node.fact !== undefined) facts.add(node.fact);
    const value = node.value;
    if (value !== null && typeof value === 'object' && 'fact' in value) {
      const fact = (value as { fact: unknown }).fact;
      if (typeof fact !== 'string') return false;
      facts.add(fact);
    }
    return true;
  };
  return walk(condition) ? [...facts].sort() : null;
}

/** One frozen list per set of facts read, shared by the rules that read it. */
const sharedFactLists = new Map<string, readonly string[]>();

/**
 * The facts a shorthand rule reads, by its type: what {@link factsReadBy} finds in the
 * conditions {@link toEngineRule} makes of it (a test holds it to that), known without walking
 * them. Walking them (a set, copies of the lists, a sort, a join and a lookup) was about 4 ms of
 * compiling 10,000 rules, and its garbage.
 */
const SHORTHAND_FACTS = {
  query_length: sharedList(['queryLength']),
  query_type: sharedList(['queryType']),
} as const;

function sharedList(facts: string[]): readonly string[] {
  const key = facts.join('\u0000');
  let shared = sharedFactLists.get(key);
  if (!shared) {
    shared = Object.freeze(facts);
    // Bounded by the distinct fact sets of the configurations loaded, a handful in practice.
    if (sharedFactLists.size < 1024) sharedFactLists.set(key, shared);
  }
  return shared;
}

/** {@link factsReadBy}, as a shared frozen list (see {@link CompiledRule}). */
function sharedFactsReadBy(condition: EngineConditionSpec): readonly string[] | null {
  const facts = factsReadBy(condition);
  return facts ? sharedList(facts) : null;
}

/**
 * The facts a rule reads, as a shared frozen list, given its conditions as
 * {@link toEngineRule} made them: a shorthand rule's by its type (see {@link SHORTHAND_FACTS}).
 */
export function factsOfRule(
  spec: RoutingRuleSpec,
  conditions: EngineConditionSpec,
): readonly string[] | null {
  if ('conditions' in spec) return sharedFactsReadBy(conditions);
  return spec.type === 'query_length' ? SHORTHAND_FACTS.query_length : SHORTHAND_FACTS.query_type;
}

function compileIssue(loaded: LoadedRule, error: unknown): ConfigIssue {
  const message = `rule "${loaded.name}" is not a valid json-rules-engine rule: ${error instanceof Error ? error.message : String(error)}`;
  if (loaded.at) {
    const { file, line, column } = loaded.at;
    return { code: 'INVALID_RULE', file, line, column, pointer: loaded.pointer, message };
  }
  return {
    code: 'INVALID_RULE',
    file: null,
    line: null,
    column: null,
    variable: loaded.origin,
    pointer: loaded.pointer,
    message,
  };
}

/**
 * Compiles eligibility and geography rules once per loaded config; reports rules
 * json-rules-engine rejects. Gives the event loop back every time `slice` is due.
 */
export async function compileRules(
  rules: readonly LoadedRule[],
  regions: readonly LoadedRegion[],
  slice = new TimeSlice(),
): Promise<ConfigResult<{ rules: CompiledRule[] }>> {
  const compiled: CompiledRule[] = [];
  const issues: ConfigIssue[] = [];
  for (const loaded of rules) {
    try {
      compiled.push(compileEligibility(loaded));
    } catch (error) {
      issues.push(compileIssue(loaded, error));
    }
    if (slice.due()) await slice.next();
  }
  for (const region of regions) {
    compiled.push(compileRegion(region));
    if (slice.due()) await slice.next();
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, rules: compiled };
}

/**
 * An eligibility rule on json-rules-engine; throws what json-rules-engine rejects. A rule
 * written as `conditions` is built as a json-rules-engine `Rule` (so that the engine rejects
 * what it would reject) and kept when it has no predicate. A shorthand rule is not: its
 * conditions are made by {@link toEngineRule}, a leaf or two of a known operator and a value
 * each, which the engine always accepts (a test holds it to that), and it always compiles to a
 * predicate; building and dropping a `Rule` for each of 10,000 such rules was about 20 ms of a
 * reload's work on the event loop (compiling them took 44 ms instead of 28), and its garbage.
 */
function compileEligibility(loaded: LoadedRule): CompiledRule {
  const spec = toEngineRule(loaded.spec);
  const shorthand = !('conditions' in loaded.spec);
  const predicate = compilePredicate(spec.conditions);
  const rule =
    shorthand && predicate
      ? null
      : new Rule({
          name: loaded.name,
          conditions: structuredClone(spec.conditions) as never,
          event: { type: ELIGIBLE_EVENT, params: { rule: loaded.name } },
          ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
        });
  return {
    name: loaded.name,
    kind: 'eligibility',
    predicate,
    rule: predicate ? null : rule,
    factsRead: factsOfRule(loaded.spec, spec.conditions),
  };
}

const REGION_FACTS: readonly string[] = Object.freeze(['region']);

/** A region's geography rule: `region equal <name>`, carrying the region's percentage. */
function compileRegion(region: LoadedRegion): CompiledRule {
  const name = `geography:${region.region}`;
  const conditions: EngineConditionSpec = {
    all: [{ fact: 'region', operator: 'equal', value: region.region }],
  };
  const predicate = compilePredicate(conditions);
  // Made here, always accepted by the engine, and always a predicate: a `Rule` only if not.
  const rule = predicate
    ? null
    : new Rule({
        name,
        conditions: structuredClone(conditions) as never,
        event: { type: GEOGRAPHY_EVENT, params: { rollout_percentage: region.rolloutPercentage } },
      });
  return {
    name,
    kind: 'geography',
    predicate,
    rule,
    factsRead: REGION_FACTS,
    rolloutPercentage: region.rolloutPercentage,
  };
}
