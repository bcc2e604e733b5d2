import { FlagrouteError } from '../errors.js';
import { codePointLength, type RuleFacts } from '../rules/facts.js';
import type { RoutingContext } from './types.js';

/** Thrown by `decideSync` when a loaded rule can only be evaluated by `Engine.run` (async). */
export class SyncDecisionUnavailableError extends FlagrouteError {
  /** The rules that need the engine's asynchronous run. */
  readonly rules: readonly string[];

  constructor(rules: readonly string[]) {
    super(
      'ASYNC_RULE',
      `decideSync is unavailable: rule${rules.length === 1 ? '' : 's'} ${rules.join(', ')} use${rules.length === 1 ? 's' : ''} shared conditions, path, params or fact references, which only json-rules-engine's async run evaluates; call decide() instead`,
    );
    this.rules = rules;
  }
}

/** Thrown by `decide` when the context itself is malformed: a caller bug, not a routing outcome. */
export class InvalidContextError extends FlagrouteError {
  /** The offending field of the context. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_CONTEXT', `invalid routing context: ${field} ${message}`);
    this.field = field;
  }
}

const FORBIDDEN_ATTRIBUTES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The identity the bucket hashes: userId, else sessionId, else `anonymous`. An empty id counts
 * as absent, as a Python `user_id or session_id or "anonymous"` reads it.
 */
export function identifierOf(context: RoutingContext): string {
  return context.userId || context.sessionId || 'anonymous';
}

function checkString(field: string, value: unknown, hashed: boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    throw new InvalidContextError(field, `must be a string, got ${typeof value}`);
  }
  // Only identities are hashed, and Python could not encode a lone surrogate.
  if (hashed && !value.isWellFormed()) {
    throw new InvalidContextError(field, 'contains a lone UTF-16 surrogate (not valid Unicode)');
  }
}

/** Checks a context; throws {@link InvalidContextError} naming the first bad field. */
export function assertValidContext(context: unknown): asserts context is RoutingContext {
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new InvalidContextError('context', 'must be an object');
  }
  const record = context as RoutingContext;
  checkString('userId', record.userId, true);
  checkString('sessionId', record.sessionId, true);
  checkString('queryText', record.queryText, false);
  checkString('queryType', record.queryType, false);
  checkString('region', record.region, false);
  const complexity = record.queryComplexity;
  if (complexity !== undefined) {
    if (typeof complexity !== 'number' || !Number.isFinite(complexity) || complexity < 0) {
      throw new InvalidContextError(
        'queryComplexity',
        `must be a finite number of at least 0, got ${String(complexity)}`,
      );
    }
  }
  const attributes = record.attributes;
  if (attributes !== undefined) {
    if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
      throw new InvalidContextError('attributes', 'must be an object');
    }
    // Descriptors, not values: checking must not run a caller's getters.
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(attributes))) {
      if (FORBIDDEN_ATTRIBUTES.has(key)) {
        throw new InvalidContextError(`attributes.${key}`, 'is not an allowed attribute name');
      }
      // json-rules-engine would call a function-valued fact: attributes are data, never code.
      if (typeof descriptor.value === 'function') {
        throw new InvalidContextError(
          `attributes.${key}`,
          'must be data (a function is not allowed)',
        );
      }
    }
  }
}

/** The facts rules read, from a valid context. Named fields win over attributes. */
export function factsOf(context: RoutingContext): RuleFacts {
  const text = context.queryText;
  const named: RuleFacts = {
    queryLength: text === undefined ? undefined : codePointLength(text),
    queryType: context.queryType,
    region: context.region,
    queryComplexity: context.queryComplexity,
    userId: context.userId,
    sessionId: context.sessionId,
  };
  if (context.attributes === undefined) return named;
  // Attributes first, so that the named fields win; an absent named field leaves the attribute.
  const facts: RuleFacts = { ...context.attributes };
  for (const [key, value] of Object.entries(facts)) {
    if (typeof value === 'function') throw new TypeError(`attribute ${key} produced a function`);
  }
  for (const [key, value] of Object.entries(named)) if (value !== undefined) facts[key] = value;
  return facts;
}
