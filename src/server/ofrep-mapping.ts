import type { Decision, Reason, RoutingContext } from '../routing/types.js';

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

/** Context keys that map onto the routing context's named fields; the rest are attributes. */
const NAMED: Readonly<Record<string, keyof RoutingContext>> = {
  targetingKey: 'userId',
  sessionId: 'sessionId',
  queryText: 'queryText',
  queryType: 'queryType',
  region: 'region',
  queryComplexity: 'queryComplexity',
};

/**
 * An OpenFeature evaluation context as a routing context: `targetingKey` is the user id, the
 * named fields map by name, and every other key becomes an attribute for json-rules-engine.
 */
export function routingContextOf(context: Record<string, unknown>): RoutingContext {
  const routing: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    const field = NAMED[key];
    if (field !== undefined) routing[field] = value;
    else attributes[key] = value;
  }
  if (Object.keys(attributes).length > 0) routing.attributes = attributes;
  return routing as RoutingContext;
}

/** One flag's value, variant and reason for a decision. */
export function flagValue(
  flag: OfrepFlag,
  decision: Decision,
  bucket: number,
): { value: string | number; variant: string } {
  const variant = decision.cohort ?? 'none';
  if (flag === 'backend') return { value: decision.backend, variant };
  if (flag === 'cohort') return { value: variant, variant };
  return { value: bucket, variant };
}

/** The flag metadata OFREP carries (strings, numbers and booleans only). */
export function flagMetadata(
  decision: Decision,
  decisionId: string,
): Record<string, string | number | boolean> {
  return {
    decisionId,
    reason: decision.reason,
    configVersion: decision.configVersion,
    rolloutPercentage: decision.rolloutPercentage,
    environment: decision.environment,
  };
}
