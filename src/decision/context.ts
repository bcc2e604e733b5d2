import { echoed, show, suggestKey } from '../config/schema-errors.js';
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

/**
 * An attribute named `__proto__` would change an object's prototype wherever it is copied by
 * assignment; every other name is allowed (`constructor`, `toString`: the rules read facts by
 * their own properties only, see `factOf`).
 */
const FORBIDDEN_ATTRIBUTES = new Set(['__proto__']);

/**
 * The identity the bucket hashes: userId, else sessionId, else `anonymous`. An empty id counts
 * as absent, as a Python `user_id or session_id or "anonymous"` reads it.
 */
export function identifierOf(context: RoutingContext): string {
  return context.userId || context.sessionId || 'anonymous';
}

/**
 * The identity of the user an experiment counts a decision for (its pseudonymous unit, its
 * exposure, the user its outcome must name): the bucket's identity ({@link identifierOf}), an
 * empty id counting as absent, but no identity at all when neither id is given, since every
 * such caller would otherwise be one user, `anonymous`.
 */
export function unitIdentityOf(context: RoutingContext): string | undefined {
  return context.userId || context.sessionId || undefined;
}

function checkString(
  field: string,
  value: unknown,
  hashed: boolean,
): asserts value is string | undefined {
  if (value === undefined) return;
  if (typeof value !== 'string') {
    throw new InvalidContextError(field, `must be a string, got ${typeof value}`);
  }
  // Only identities are hashed, and Python could not encode a lone surrogate.
  if (hashed && !value.isWellFormed()) throw new InvalidContextError(field, notUnicode(value));
}

/**
 * What is wrong with an identity (a user or session id, a request id, an outcome's `userId`)
 * that is not well-formed Unicode (`isWellFormed()` is false): its first lone UTF-16 surrogate,
 * as an escape, and where. Such an id has no UTF-8 form, so it cannot round-trip through a JSON
 * file or a database, and a Python service cannot hash it: the same user would be another unit
 * there. Every route refuses it in these words.
 */
export function notUnicode(id: string): string {
  let at = 0;
  while (at < id.length) {
    const unit = id.charCodeAt(at);
    const high = unit >= 0xd800 && unit <= 0xdbff;
    const next = id.charCodeAt(at + 1);
    if (high && next >= 0xdc00 && next <= 0xdfff) at += 2;
    else if (high || (unit >= 0xdc00 && unit <= 0xdfff)) break;
    else at += 1;
  }
  const unit = id.charCodeAt(at).toString(16).padStart(4, '0');
  return `contains a lone UTF-16 surrogate (\\u${unit} at UTF-16 offset ${at}), which is not Unicode: it has no UTF-8 form, so it cannot be stored or hashed as the same user elsewhere; send valid Unicode`;
}

/** The fields a routing context may have; anything else belongs in `attributes`. */
export const CONTEXT_FIELDS = [
  'userId',
  'sessionId',
  'queryText',
  'queryType',
  'region',
  'queryComplexity',
  'requestId',
  'attributes',
] as const;

/** The known field a misspelt or snake_case key most likely meant. */
function suggestField(key: string): string | undefined {
  const camel = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  if (isContextField(camel)) return camel;
  const capitalised = camel.charAt(0).toUpperCase() + camel.slice(1);
  return (
    CONTEXT_FIELDS.find((field) => field.endsWith(capitalised)) ??
    suggestKey(camel, [...CONTEXT_FIELDS])
  );
}

/**
 * Checks a context and returns it. Throws {@link InvalidContextError} naming the first bad
 * field: a wrong type, an unknown top-level key (with a did-you-mean; free-form facts belong in
 * `attributes`), or a context whose getters or Proxy traps throw while it is checked (the
 * caller's own exception is not passed through). A getter that throws only later, while the
 * tree reads it again, gives the `evaluation_error` fallback. No copy is made: a copy per
 * decision measured about 30 ns.
 */
export function normalizeContext(context: unknown): RoutingContext {
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new InvalidContextError('context', 'must be an object');
  }
  try {
    return checkContext(context as Record<string, unknown>);
  } catch (error) {
    if (error instanceof InvalidContextError) throw error;
    // The caller's own exception (a throwing getter, a Proxy trap) is not passed through.
    throw new InvalidContextError(
      'context',
      `could not be read (${error instanceof Error ? error.name : typeof error} while reading its fields); pass plain data`,
    );
  }
}

function isContextField(key: string): boolean {
  switch (key) {
    case 'userId':
    case 'sessionId':
    case 'queryText':
    case 'queryType':
    case 'region':
    case 'queryComplexity':
    case 'requestId':
    case 'attributes':
      return true;
    default:
      return false;
  }
}

function checkContext(record: Record<string, unknown>): RoutingContext {
  // for-in over a small object allocates nothing; an unknown key is a caller's mistake.
  for (const key in record) {
    if (!isContextField(key)) unknownField(key);
  }
  // Every field is read by name, not only the keys for-in listed: a getter on a prototype is
  // not enumerable, and the tree would read it unchecked.
  const { userId, sessionId, queryText, queryType, region, queryComplexity, attributes } = record;
  checkString('requestId', record.requestId, true);
  checkString('userId', userId, true);
  checkString('sessionId', sessionId, true);
  checkString('queryText', queryText, false);
  checkString('queryType', queryType, false);
  checkString('region', region, false);
  if (queryComplexity !== undefined) checkComplexity(queryComplexity);
  if (attributes !== undefined) checkAttributes(attributes);
  return record as RoutingContext;
}

function unknownField(key: string): never {
  const suggestion = suggestField(key);
  throw new InvalidContextError(
    echoed(key),
    `is not a field of a routing context${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; the fields are ${CONTEXT_FIELDS.join(', ')}, and free-form facts belong in attributes`,
  );
}

function checkComplexity(complexity: unknown): void {
  if (typeof complexity !== 'number' || !Number.isFinite(complexity) || complexity < 0) {
    throw new InvalidContextError(
      'queryComplexity',
      `must be a finite number of at least 0, got ${show(complexity)}`,
    );
  }
}

/**
 * Checks the attributes without running their getters: they are read only when a rule reads
 * facts, where a throwing getter gives the `evaluation_error` fallback, never the caller's error.
 */
function checkAttributes(attributes: unknown): void {
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw new InvalidContextError('attributes', 'must be an object');
  }
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
    if (typeof value === 'function') {
      throw new InvalidContextError(
        `attributes.${key}`,
        'must be data (a getter produced a function)',
      );
    }
  }
  for (const [key, value] of Object.entries(named)) if (value !== undefined) facts[key] = value;
  return facts;
}
