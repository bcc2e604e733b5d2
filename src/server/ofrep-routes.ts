import type { FastifyInstance } from 'fastify';
import { FlagrouteError } from '../errors.js';
import { evaluateFlagNow, evaluateFlags, flagOf, flagsEtag } from '../ofrep/index.js';
import type { DecisionLedger } from '../outcomes/index.js';
import type { Router } from '../router/router.js';
import type { RouteBody } from './json-body.js';
import { KeysBesideContext } from './ofrep-request-keys.js';

/** The single evaluation's route (the error handler names the flag of its failures). */
export const SINGLE_FLAG = '/ofrep/v1/evaluate/flags/:key';

/** OFREP's body: `{"context": {...}}`, all of it the evaluation context. */
const OFREP_BODY: RouteBody = {
  isContext: true,
  tooLarge: 'send a smaller evaluation context (fewer or shorter attributes, a shorter queryText)',
};

/**
 * The evaluation context of an OFREP request body: `{"context": {...}}`; other keys beside it
 * are ignored, as the spec allows, and told to `beside` (see {@link KeysBesideContext}). A
 * context without a `targetingKey` beside which the body carries one is refused saying so: the
 * refusal, `TARGETING_KEY_MISSING`, is what the caller sees, and the key is right there.
 */
function contextOf(body: unknown, beside: KeysBesideContext): unknown {
  const context = (body as { context?: unknown } | null)?.context;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || context === undefined) {
    throw new FlagrouteError('INVALID_CONTEXT', 'the body must be {"context": {...}}');
  }
  beside.notice(body);
  if (
    (body as { targetingKey?: unknown }).targetingKey !== undefined &&
    (context as { targetingKey?: unknown } | null)?.targetingKey === undefined
  ) {
    throw new FlagrouteError(
      'TARGETING_KEY_MISSING',
      'context.targetingKey (the user id) is missing, and the body carries "targetingKey" beside "context", where OFREP does not read it: put it inside "context" ({"context": {"targetingKey": ...}})',
    );
  }
  return context;
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
        decisionToken: { type: 'string' },
        reason: { type: 'string' },
        configVersion: { type: 'string' },
        rolloutPercentage: { type: 'number' },
        environment: { type: 'string' },
        shadow: { type: 'string' },
      },
    },
  },
} as const;

/**
 * The OpenFeature Remote Evaluation Protocol (v0.3.0) over the OFREP core (`src/ofrep`):
 * `backend`, `cohort` and `bucket`, singly or in bulk. A bulk response carries an ETag of the
 * configuration version and the context together, so a 304 is returned only when neither
 * changed. Failures are thrown as coded errors; the server's error handler answers them.
 */
export function ofrepRoutes(app: FastifyInstance, router: Router, ledger: DecisionLedger): void {
  const beside = new KeysBesideContext(router);
  app.post<{ Params: { key: string } }>(
    SINGLE_FLAG,
    { schema: { response: { 200: FLAG_SUCCESS } }, config: OFREP_BODY },
    // Not async: with rules that decide synchronously the answer is sent within this call,
    // without a promise and a microtask turn per request (fastify sends a returned value, and
    // answers a thrown error through the error handler, as a rejection).
    (request) => {
      const key = flagOf(request.params.key);
      return evaluateFlagNow(router, ledger, key, contextOf(request.body, beside));
    },
  );

  app.post('/ofrep/v1/evaluate/flags', { config: OFREP_BODY }, async (request, reply) => {
    const context = contextOf(request.body, beside);
    // One read of the version: the ETag and the metadata name the same configuration.
    const configVersion = router.config.version;
    const etag = flagsEtag(configVersion, context);
    if (request.headers['if-none-match'] === etag)
      return reply.code(304).header('etag', etag).send();
    const flags = await evaluateFlags(router, ledger, context, configVersion);
    reply.header('etag', etag);
    return flags;
  });
}
