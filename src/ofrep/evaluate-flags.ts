import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { echoed } from '../config/schema-errors.js';
import { InvalidContextError, notUnicode } from '../decision/context.js';
import type { Decision, RoutingContext } from '../decision/types.js';
import { FlagrouteError, InvalidOutcomeError } from '../errors.js';
import type { DecisionLedger, RecordedBatch } from '../outcomes/index.js';
import type { Router } from '../router/router.js';
import {
  attributesReadBy,
  flagMetadata,
  flagValue,
  OFREP_FLAGS,
  OFREP_REASONS,
  type OfrepFlag,
  type OfrepReason,
  routingContextOf,
} from './mapping.js';

/** The type of each flag's value, as OpenFeature asks for it. */
export const FLAG_TYPES: Readonly<Record<OfrepFlag, 'string' | 'number'>> = {
  backend: 'string',
  cohort: 'string',
  bucket: 'number',
};

/** One flag resolved: OFREP's success body, and what the provider hands the SDK. */
export interface FlagResolution {
  key: OfrepFlag;
  value: string | number;
  variant: string;
  reason: OfrepReason;
  /**
   * The decision's id and, with decision tokens on, its signed token (for its outcome), reason,
   * configuration version, rollout, environment.
   */
  metadata: Record<string, string | number | boolean>;
}

/** Every flag of one decision, with the configuration version they were evaluated on. */
export interface FlagsResolution {
  flags: FlagResolution[];
  metadata: { configVersion: string };
}

/** The error of a key that names no flag flagroute serves (`FLAG_NOT_FOUND`, with the flags it serves). */
export function flagNotFound(key: string): FlagrouteError {
  return new FlagrouteError(
    'FLAG_NOT_FOUND',
    `flag ${echoed(key, true)} is not served here; the flags are ${OFREP_FLAGS.join(', ')}`,
  );
}

/**
 * The flag a key names: `FLAG_NOT_FOUND` for a key flagroute does not serve, and, when the
 * caller asks for a type, `TYPE_MISMATCH` for a flag of another type.
 */
export function flagOf(key: string, type?: string): OfrepFlag {
  if (!(OFREP_FLAGS as readonly string[]).includes(key)) throw flagNotFound(key);
  const flag = key as OfrepFlag;
  if (type !== undefined && FLAG_TYPES[flag] !== type) {
    throw new FlagrouteError(
      'TYPE_MISMATCH',
      `flag ${echoed(key, true)} is a ${FLAG_TYPES[flag]}, not a ${type}`,
    );
  }
  return flag;
}

/** An evaluation context: an object whose `targetingKey` (the user id) is a non-empty string. */
export function checkedContext(context: unknown): Record<string, unknown> {
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new FlagrouteError('INVALID_CONTEXT', 'context must be an object');
  }
  const targetingKey = (context as { targetingKey?: unknown }).targetingKey;
  if (typeof targetingKey !== 'string' || targetingKey === '') {
    throw new FlagrouteError(
      'TARGETING_KEY_MISSING',
      'context.targetingKey (the user id) must be a non-empty string',
    );
  }
  // Named as the caller wrote it: the routing context's check would say userId.
  if (!targetingKey.isWellFormed()) {
    throw new InvalidContextError('context.targetingKey', notUnicode(targetingKey));
  }
  return context as Record<string, unknown>;
}

/** The resolver of each flag on one decision, which is remembered in `ledger` (see {@link decided}). */
function resolverOf(
  router: Router,
  ledger: DecisionLedger,
  routing: RoutingContext,
  decision: Decision,
): (flag: OfrepFlag) => FlagResolution {
  const issued = router.issueDecision(decision, routing, ledger);
  const reason = OFREP_REASONS[decision.reason];
  // A decision that stopped before the assignment step has no bucket: hashed only should the
  // bucket flag be asked for, not for every answer while (say) the kill switch is engaged.
  let bucket = decision.bucket;
  const bucketOf = () => {
    bucket ??= router.bucketOf(routing);
    return bucket;
  };
  return (flag) => ({
    key: flag,
    ...flagValue(flag, decision, bucketOf),
    reason,
    metadata: flagMetadata(decision, issued),
  });
}

/**
 * Decides once for a context and remembers the decision in `ledger` (its id goes out in every
 * flag's metadata, for the outcome); returns the resolver of each flag on that decision. It
 * decides synchronously when every loaded rule allows it (`router.supportsSyncDecisions`), and
 * only then returns the resolver itself rather than a promise of it: no promise, microtask or
 * async frame on the single-flag route's hot path.
 */
function decided(
  router: Router,
  ledger: DecisionLedger,
  context: Record<string, unknown>,
): ((flag: OfrepFlag) => FlagResolution) | Promise<(flag: OfrepFlag) => FlagResolution> {
  const routing = routingContextOf(context, attributesReadBy(router.config));
  if (router.supportsSyncDecisions) {
    return resolverOf(router, ledger, routing, router.decideSync(routing));
  }
  return router.decide(routing).then((decision) => resolverOf(router, ledger, routing, decision));
}

/**
 * {@link evaluateFlag}, synchronously whenever the loaded rules allow (see {@link decided}):
 * the resolution itself, or a promise of it when a rule needs json-rules-engine's asynchronous
 * run. A refusal is thrown, not rejected, on the synchronous path. For a hot path that can take
 * either (a fastify handler does); others use {@link evaluateFlag}.
 */
export function evaluateFlagNow(
  router: Router,
  ledger: DecisionLedger,
  key: string,
  context: unknown,
  type?: string,
): FlagResolution | Promise<FlagResolution> {
  const flag = flagOf(key, type);
  const resolve = decided(router, ledger, checkedContext(context));
  return typeof resolve === 'function' ? resolve(flag) : resolve.then((found) => found(flag));
}

/**
 * Evaluates one flag (OFREP's single evaluation, the provider's `resolve*Evaluation`): the key
 * and type are checked first (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`), then the context
 * (`INVALID_CONTEXT`, `TARGETING_KEY_MISSING`); then the router decides.
 */
export async function evaluateFlag(
  router: Router,
  ledger: DecisionLedger,
  key: string,
  context: unknown,
  type?: string,
): Promise<FlagResolution> {
  return evaluateFlagNow(router, ledger, key, context, type);
}

/**
 * Evaluates every flag on one decision (OFREP's bulk evaluation). `configVersion` is the
 * version the caller read before (the one its ETag names); default: the one serving now.
 */
export async function evaluateFlags(
  router: Router,
  ledger: DecisionLedger,
  context: unknown,
  configVersion = router.config.version,
): Promise<FlagsResolution> {
  const resolve = await decided(router, ledger, checkedContext(context));
  return { flags: OFREP_FLAGS.map(resolve), metadata: { configVersion } };
}

/**
 * The ETag of a bulk evaluation: the configuration version and the context together, so that
 * an answer is `304 Not Modified` only when neither changed.
 */
export function flagsEtag(configVersion: string, context: unknown): string {
  const digest = createHash('sha256').update(`${configVersion}\n${stringify(context)}`);
  return `"${digest.digest('hex').slice(0, 32)}"`;
}

/**
 * Records the outcome of a decision this ledger's flags came from (the provider's
 * `track('outcome', context, details)`): `details` names the decision by `decisionToken` or
 * `decisionId`, and the user is the context's `targetingKey` unless the details name one.
 */
export function trackOutcome(
  router: Router,
  ledger: DecisionLedger,
  details: Record<string, unknown>,
  targetingKey?: unknown,
): RecordedBatch {
  if (typeof details.decisionId !== 'string' && typeof details.decisionToken !== 'string') {
    throw new InvalidOutcomeError(
      'decisionId',
      'is required: track("outcome") names the decision its flags came from (decisionId or decisionToken)',
    );
  }
  const user = details.userId ?? targetingKey;
  return router.recordOutcomes(user === undefined ? details : { ...details, userId: user }, ledger);
}
