/**
 * Rules: routing and geography rules compiled for json-rules-engine, evaluated as compiled
 * predicates or memoised engine runs.
 *
 * @packageDocumentation
 */
export type { RuleOutcome } from './rule-evaluator.js';
