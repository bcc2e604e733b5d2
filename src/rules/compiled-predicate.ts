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

/**
 * The engine's numeric operators validate a fact with `parseFloat(v).toString() !== 'NaN'`,
 * which for a number is exactly `!Number.isNaN(v)`: a cheaper test with the same answer. Any
 * other value goes through the engine's own validator. Checked against the validator itself.
 */
function numericFastPath(operator: EngineOperator, name: string): boolean {
  if (!NUMERIC_OPERATORS.has(name)) return false;
  const samples = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  return samples.every((sample) => operator.factValueValidator(sample) === !Number.isNaN(sample));
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
 */
export function compilePredicate(condition: EngineConditionSpec): FactsPredicate | null {
  const kinds = BOOLEAN_KEYS.filter((key) => condition[key] !== undefined);
  if (kinds.length !== 1) return null;
  if (condition.all) return combine(condition.all, 'all');
  if (condition.any) return combine(condition.any, 'any');
  if (condition.not) {
    const inner = compilePredicate(condition.not);
    return inner ? (facts) => !inner(facts) : null;
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
  const fact = condition.fact;
  // Decided once per rule, so that the common fact name keeps its plain property read.
  if (isInheritedName(fact)) {
    return (facts) =>
      operator.evaluate(Object.hasOwn(facts, fact) ? facts[fact] : undefined, value);
  }
  if (numericFastPath(operator, condition.operator!)) {
    return (facts) => {
      const factValue = facts[fact];
      return typeof factValue === 'number'
        ? !Number.isNaN(factValue) && operator.cb(factValue, value)
        : operator.evaluate(factValue, value);
    };
  }
  return (facts) => operator.evaluate(facts[fact], value);
}

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
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [first, second] = parts as [FactsPredicate, FactsPredicate];
    return kind === 'all'
      ? (facts) => first(facts) && second(facts)
      : (facts) => first(facts) || second(facts);
  }
  return kind === 'all'
    ? (facts) => parts.every((part) => part(facts))
    : (facts) => parts.some((part) => part(facts));
}
