import type { LoadedConfig } from '../config/load-config.js';
import { echoed } from '../config/schema-errors.js';
import { InvalidContextError } from '../decision/context.js';
import type { Decision, Reason, RoutingContext } from '../decision/types.js';
import { factsReadBy, toEngineRule } from '../rules/compile-rules.js';

/** The flags flagroute serves over OFREP. */
export const OFREP_FLAGS = ['backend', 'cohort', 'bucket'] as const;
/** A flag key flagroute serves over OFREP. */
export type OfrepFlag = (typeof OFREP_FLAGS)[number];

/** OpenFeature's resolution reasons that OFREP allows in a success. */
export type OfrepReason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'UNKNOWN';

/** flagroute's reason -> OpenFeature's: a hash split, a rule or safety stop, a switch. */
export const OFREP_REASONS: Readonly<Record<Reason, OfrepReason>> = {
  feature_disabled: 'DISABLED',
  forced_cohort: 'STATIC',
  circuit_breaker_open: 'TARGETING_MATCH',
  quality_threshold: 'TARGETING_MATCH',
  conditional_rule: 'TARGETING_MATCH',
  rollout_percentage: 'SPLIT',
  user_cohort_assignment: 'SPLIT',
  evaluation_error: 'UNKNOWN',
};

/**
 * Context keys that map onto the routing context's named fields; the rest are attributes. A
 * Map, since the keys are the caller's: `toString` or `constructor` must be attributes like any
 * other key, not what an object's prototype has under that name.
 */
const NAMED: ReadonlyMap<string, keyof RoutingContext> = new Map([
  ['targetingKey', 'userId'],
  ['sessionId', 'sessionId'],
  ['queryText', 'queryText'],
  ['queryType', 'queryType'],
  ['region', 'region'],
  ['queryComplexity', 'queryComplexity'],
  ['requestId', 'requestId'],
]);

/** The context keys that map onto the routing context's named fields, in OFREP's words. */
export const OFREP_CONTEXT_FIELDS: readonly string[] = [...NAMED.keys()];

/**
 * An OpenFeature evaluation context as a routing context: `targetingKey` is the user id, the
 * named fields map by name, and every other key becomes an attribute for json-rules-engine.
 * Throws {@link InvalidContextError} for the two mistakes a caller would otherwise never see:
 * a named field that is `null` (a Python `None`), and a key that is one typing slip (or a
 * case or underscore variant) away from a named field and that no loaded rule reads, given
 * in `attributesRead` (`null`: the rules' facts cannot be known, so no key is refused).
 */
export function routingContextOf(
  context: Record<string, unknown>,
  attributesRead: ReadonlySet<string> | null = null,
): RoutingContext {
  const routing: Record<string, unknown> = {};
  // Made on the first attribute (most contexts have none). Without a prototype, a key
  // `__proto__` is an attribute of its own (refused as such by normalizeContext) rather than a
  // change of the object's prototype.
  let attributes: Record<string, unknown> | undefined;
  for (const key of Object.keys(context)) {
    const value = context[key];
    const field = NAMED.get(key);
    if (field !== undefined) {
      if (value === null) {
        throw new InvalidContextError(
          `context.${key}`,
          'is null (a Python None): leave out a key that has no value',
        );
      }
      routing[field] = value;
      continue;
    }
    const meant = attributesRead === null || attributesRead.has(key) ? undefined : misspelt(key);
    if (meant !== undefined) {
      throw new InvalidContextError(
        `context.${echoed(key)}`,
        `is not a field flagroute reads (did you mean "${meant}"?), and no loaded rule reads it as an attribute; the fields are ${OFREP_CONTEXT_FIELDS.join(', ')}`,
      );
    }
    attributes ??= Object.create(null) as Record<string, unknown>;
    attributes[key] = value;
  }
  if (attributes !== undefined) routing.attributes = attributes;
  return routing as RoutingContext;
}

/** The named field `key` is a slip for: a case or underscore variant, or one typing slip. */
function misspelt(key: string): string | undefined {
  const plain = key.replaceAll('_', '').toLowerCase();
  if (plain === 'userid' || plain === 'user') return 'targetingKey';
  for (const field of OFREP_CONTEXT_FIELDS) {
    if (plain === field.toLowerCase() || slips(key, field) <= 1) return field;
  }
  return undefined;
}

/**
 * Typing slips between two words: letters wrong, missing or extra, and neighbours swapped
 * (the optimal string alignment distance), so `regoin` is one slip from `region` while
 * `reason` is two.
 */
function slips(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

const READ_BY_RULES = new WeakMap<LoadedConfig, ReadonlySet<string> | null>();

/**
 * The facts the loaded rules read (eligibility rules, and `region` for geography rules), or
 * `null` when one of them uses shared conditions, whose facts cannot be known. Computed once
 * per loaded configuration.
 */
export function attributesReadBy(config: LoadedConfig): ReadonlySet<string> | null {
  if (READ_BY_RULES.has(config)) return READ_BY_RULES.get(config)!;
  let read: Set<string> | null = new Set(config.geographicRouting.length > 0 ? ['region'] : []);
  for (const rule of config.routingRules) {
    const facts = factsReadBy(toEngineRule(rule.spec).conditions);
    if (facts === null) {
      read = null;
      break;
    }
    for (const fact of facts) read.add(fact);
  }
  READ_BY_RULES.set(config, read);
  return read;
}

/**
 * One flag's value and variant for a decision. `bucket` is the user's bucket, or a function
 * giving it, called for the bucket flag only (a decision that stopped before assignment has
 * none, and hashing for the other flags is wasted).
 */
export function flagValue(
  flag: OfrepFlag,
  decision: Decision,
  bucket: number | (() => number),
): { value: string | number; variant: string } {
  const variant = decision.cohort ?? 'none';
  if (flag === 'backend') return { value: decision.backend, variant };
  if (flag === 'cohort') return { value: variant, variant };
  return { value: typeof bucket === 'function' ? bucket() : bucket, variant };
}

/** The flag metadata OFREP carries (strings, numbers and booleans only). */
export function flagMetadata(
  decision: Decision,
  issued: { decisionId: string; decisionToken?: string },
): Record<string, string | number | boolean> {
  return {
    decisionId: issued.decisionId,
    ...(issued.decisionToken === undefined ? {} : { decisionToken: issued.decisionToken }),
    reason: decision.reason,
    configVersion: decision.configVersion,
    rolloutPercentage: decision.rolloutPercentage,
    environment: decision.environment,
    ...(decision.shadow === undefined ? {} : { shadow: decision.shadow }),
  };
}
