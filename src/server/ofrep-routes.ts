import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import stringify from 'safe-stable-stringify';
import { FlagrouteError } from '../errors.js';
import type { DecisionLedger } from '../outcomes/index.js';
import type { Result } from '../result.js';
import type { Router } from '../router/router.js';
import {
  attributesReadBy,
  flagMetadata,
  flagValue,
  OFREP_FLAGS,
  OFREP_REASONS,
  type OfrepFlag,
  routingContextOf,
} from './ofrep-mapping.js';

type Failure = { status: number; errorCode: string; errorDetails: string };

function failed(
  status: number,
  errorCode: string,
  errorDetails: string,
): { ok: false; failure: Failure } {
  return { ok: false, failure: { status, errorCode, errorDetails } };
}

/** The evaluation context of an OFREP request body, or why it cannot be one. */
function contextOf(
  body: unknown,
): Result<{ context: Record<string, unknown> }, { failure: Failure }> {
  const context = (body as { context?: unknown } | null)?.context;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || context === undefined) {
    return failed(400, 'INVALID_CONTEXT', 'the body must be {"context": {...}}');
  }
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    return failed(400, 'INVALID_CONTEXT', 'context must be an object');
  }
  const targetingKey = (context as { targetingKey?: unknown }).targetingKey;
  if (typeof targetingKey !== 'string' || targetingKey === '') {
    return failed(
      400,
      'TARGETING_KEY_MISSING',
      'context.targetingKey (the user id) must be a non-empty string',
    );
  }
  return { ok: true, context: context as Record<string, unknown> };
}

/** Evaluates every flag on one decision, or says why the context was refused. */
async function evaluate(router: Router, ledger: DecisionLedger, context: Record<string, unknown>) {
  const routing = routingContextOf(context, attributesReadBy(router.config));
  const decision = await router.decide(routing);
  const bucket = decision.bucket ?? router.bucketOf(routing);
  const decisionId = ledger.remember(decision);
  return (flag: OfrepFlag) => ({
    key: flag,
    ...flagValue(flag, decision, bucket),
    reason: OFREP_REASONS[decision.reason],
    metadata: flagMetadata(decision, decisionId),
  });
}

function refuse(reply: FastifyReply, failure: Failure, key?: string) {
  const body = {
    ...(key === undefined ? {} : { key }),
    errorCode: failure.errorCode,
    errorDetails: failure.errorDetails,
  };
  return reply.code(failure.status).send(body);
}

function contextFailure(error: unknown): Failure {
  if (error instanceof FlagrouteError && error.code === 'INVALID_CONTEXT') {
    return { status: 400, errorCode: 'INVALID_CONTEXT', errorDetails: error.message };
  }
  throw error;
}

/**
 * The success body of one flag, for fastify's compiled serializer (fast-json-stringify), which
 * writes it several times faster than `JSON.stringify`; the spec's schema of it is checked by
 * the tests on every body.
 */
const FLAG_SUCCESS = {
  type: 'object',
  required: ['key', 'value', 'variant', 'reason', 'metadata'],
  properties: {
    key: { type: 'string' },
    value: { type: ['string', 'number'] },
    variant: { type: 'string' },
    reason: { type: 'string' },
    metadata: {
      type: 'object',
      required: ['decisionId', 'reason', 'configVersion', 'rolloutPercentage', 'environment'],
      properties: {
        decisionId: { type: 'string' },
        reason: { type: 'string' },
        configVersion: { type: 'string' },
        rolloutPercentage: { type: 'number' },
        environment: { type: 'string' },
      },
    },
  },
} as const;

/**
 * The OpenFeature Remote Evaluation Protocol (v0.3.0): `backend`, `cohort` and `bucket`,
 * singly or in bulk. A bulk response carries an ETag of the configuration version and the
 * context together, so a 304 is returned only when neither changed.
 */
export function ofrepRoutes(app: FastifyInstance, router: Router, ledger: DecisionLedger): void {
  app.post<{ Params: { key: string } }>(
    '/ofrep/v1/evaluate/flags/:key',
    { schema: { response: { 200: FLAG_SUCCESS } } },
    async (request, reply) => {
      const key = request.params.key;
      if (!(OFREP_FLAGS as readonly string[]).includes(key)) {
        const errorDetails = `flag "${key}" is not served here; the flags are ${OFREP_FLAGS.join(', ')}`;
        return refuse(reply, { status: 404, errorCode: 'FLAG_NOT_FOUND', errorDetails }, key);
      }
      const read = contextOf(request.body);
      if (!read.ok) return refuse(reply, read.failure, key);
      try {
        const flag = await evaluate(router, ledger, read.context);
        return flag(key as OfrepFlag);
      } catch (error) {
        return refuse(reply, contextFailure(error), key);
      }
    },
  );

  app.post('/ofrep/v1/evaluate/flags', async (request, reply) => {
    const read = contextOf(request.body);
    if (!read.ok) return refuse(reply, read.failure);
    const context = read.context;
    // One read of the version: the ETag and the metadata name the same configuration.
    const configVersion = router.config.version;
    const etag = `"${createHash('sha256')
      .update(`${configVersion}\n${stringify(context)}`)
      .digest('hex')
      .slice(0, 32)}"`;
    if (request.headers['if-none-match'] === etag)
      return reply.code(304).header('etag', etag).send();
    try {
      const flag = await evaluate(router, ledger, context);
      reply.header('etag', etag);
      return {
        flags: OFREP_FLAGS.map(flag),
        metadata: { configVersion },
      };
    } catch (error) {
      return refuse(reply, contextFailure(error));
    }
  });
}
