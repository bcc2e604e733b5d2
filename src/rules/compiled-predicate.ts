import { Engine } from 'json-rules-engine';
import type { EngineConditionSpec } from '../config/types.js';
import { isInheritedName, type RuleFacts } from './facts.js';

/** A condition tree turned into a synchronous test of the facts. */
export type FactsPredicate = (facts: RuleFacts) => boolean;

interface EngineOperator {
  evaluate(factValue: unknown, jsonValue: unknown): boolean;
  cb(factValue: unknown, jsonValue: unknown): boolean;
  factValueValidator(factValue: unknown): boolean;
}

const NUMERIC_OPERATORS = new Set([
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
]);

/** {@link numericFastPath}'s answer for each operator it was asked about. */
const fastPathOf = new Map<EngineOperator, boolean>();

/**
 * The engine's numeric operators validate a fact with `parseFloat(v).toString() !== 'NaN'`,
 * which for a number is exactly `!Number.isNaN(v)`: a cheaper test with the same answer. Any
 * other value goes through the engine's own validator. Checked against the validator itself,
 * once an operator: six samples for each of 10,000 rules' leaves were about 3 ms of a reload.
 */
function numericFastPath(operator: EngineOperator, name: string): boolean {
  if (!NUMERIC_OPERATORS.has(name)) return false;
  let fast = fastPathOf.get(operator);
  if (fast === undefined) {
    const samples = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    fast = samples.every((sample) => operator.factValueValidator(sample) === !Number.isNaN(sample));
    fastPathOf.set(operator, fast);
  }
  return fast;
}

// json-rules-engine's own operator table: the compiled form calls the engine's operators, so a
// comparison means exactly what it means inside Engine.run.
const operators = (
  new Engine() as unknown as { operators: { get(name: string): EngineOperator | undefined } }
).operators;

const BOOLEAN_KEYS = ['all', 'any', 'not', 'condition', 'fact'] as const;

/**
 * Compiles a condition tree into a synchronous predicate with json-rules-engine's semantics:
 * `all` and `any` of nothing are true (as the engine's prioritizeAndRun has it), `not` negates,
 * a leaf calls the engine's operator on the fact's value (undefined when the fact is absent).
 * Returns null for what only the engine itself can do: shared `condition` references, `path`,
 * `params`, fact-valued comparisons, unknown operators or nodes mixing boolean keys. Such rules
 * are run by `Engine.run`.
 *
 * Each closure is made in a small function of its own, so that its context holds only what it
 * reads: a closure made beside another that read `condition` (or the list of parts) kept that
 * alive too, for every rule of a configuration, and a reload's young-generation collections
 * copied it (see docs/performance.md).
 */
export function compilePredicate(condition: EngineConditionSpec): FactsPredicate | null {
  let kinds = 0;
  for (const key of BOOLEAN_KEYS) if (condition[key] !== undefined) kinds += 1;
  if (kinds !== 1) return null;
  if (condition.all) return combine(condition.all, 'all');
  if (condition.any) return combine(condition.any, 'any');
  if (condition.not) {
    const inner = compilePredicate(condition.not);
    return inner ? negatedPredicate(inner) : null;
  }
  if (
    condition.fact === undefined ||
    condition.path !== undefined ||
    condition.params !== undefined
  )
    return null;
  const value = condition.value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return null;
  const operator = condition.operator === undefined ? undefined : operators.get(condition.operator);
  if (!operator) return null;
  return leafPredicate(operator, condition.operator!, condition.fact, value);
}

function negatedPredicate(inner: FactsPredicate): FactsPredicate {
  return (facts) => !inner(facts);
}

/** A leaf's test: the engine's operator on the fact's value. */
function leafPredicate(
  operator: EngineOperator,
  name: string,
  fact: string,
  value: unknown,
): FactsPredicate {
  // Decided once per rule, so that the common fact name keeps its plain property read.
  if (isInheritedName(fact)) {
    return (facts) =>
      operator.evaluate(Object.hasOwn(facts, fact) ? facts[fact] : undefined, value);
  }
  if (numericFastPath(operator, name)) {
    return (facts) => {
      const factValue = facts[fact];
      return typeof factValue === 'number'
        ? !Number.isNaN(factValue) && operator.cb(factValue, value)
        : operator.evaluate(factValue, value);
    };
  }
  return (facts) => operator.evaluate(facts[fact], value);
}

const ALWAYS: FactsPredicate = () => true;

function combine(
  children: readonly EngineConditionSpec[],
  kind: 'all' | 'any',
): FactsPredicate | null {
  const parts: FactsPredicate[] = [];
  for (const child of children) {
    const part = compilePredicate(child);
    if (!part) return null;
    parts.push(part);
  }
  if (parts.length === 0) return ALWAYS;
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) return pairPredicate(parts[0]!, parts[1]!, kind);
  return kind === 'all' ? allOfPredicates(parts) : anyOfPredicates(parts);
}

function pairPredicate(
  first: FactsPredicate,
  second: FactsPredicate,
  kind: 'all' | 'any',
): FactsPredicate {
  return kind === 'all'
    ? (facts) => first(facts) && second(facts)
    : (facts) => first(facts) || second(facts);
}

function allOfPredicates(parts: readonly FactsPredicate[]): FactsPredicate {
  return (facts) => parts.every((part) => part(facts));
}

function anyOfPredicates(parts: readonly FactsPredicate[]): FactsPredicate {
  return (facts) => parts.some((part) => part(facts));
}
