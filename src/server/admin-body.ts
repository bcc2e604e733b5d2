import type { FastifyReply, FastifyRequest } from 'fastify';
import { echoed, suggestKey } from '../config/schema-errors.js';
import { InvalidArgumentError } from '../errors.js';
import type { RouteBody } from './json-body.js';

/**
 * The fields the body of each admin route takes. A key outside its route's list is refused, as
 * the configuration files refuse unknown keys: ignored, a misspelt `percentage` (or a field of
 * another route) would have the change go ahead without what its sender meant.
 */
export const ADMIN_BODY_FIELDS = {
  '/v1/rollout': ['percentage', 'reason', 'waitMs'],
  '/v1/rollback': ['reason', 'waitMs'],
  '/v1/rollout/resume': ['reason', 'waitMs'],
  '/v1/rollout/plan/:action': ['reason'],
  '/v1/breaker/reset': [],
} as const satisfies Record<string, readonly string[]>;

/** An admin route, by its path pattern. */
export type AdminRoute = keyof typeof ADMIN_BODY_FIELDS;

/**
 * The admin routes that cannot act without a body: a rollout needs its `percentage`, a plan
 * command its `reason`. The others may be sent no body at all, or an empty one.
 */
const BODY_REQUIRED: ReadonlySet<AdminRoute> = new Set(['/v1/rollout', '/v1/rollout/plan/:action']);

/** What an admin route's 413 advises: its body is a few small fields. */
const TOO_LARGE = 'send only the fields of the route (a reason is at most 400 characters)';

/**
 * A request whose body is empty by its headers (`Content-Length: 0`, not chunked) is one
 * without a body, whatever type it names: `curl -X POST -d ''` says
 * `application/x-www-form-urlencoded`, which fastify would refuse (415) before the route saw
 * that nothing was sent. Its content type is dropped, so fastify takes it as bodiless.
 */
function emptyBodyIsNone(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const { headers } = request;
  if (headers['content-length'] === '0' && headers['transfer-encoding'] === undefined) {
    delete headers['content-type'];
  }
  done();
}

/**
 * The route options of the admin route `route`: what it says of its body (see `RouteBody`),
 * optional unless the route needs a field, so that an empty body is no body there, with
 * `Content-Type: application/json` (or any other) as without a content type.
 */
export function adminRouteOptions(route: AdminRoute): {
  config: RouteBody;
  onRequest?: typeof emptyBodyIsNone;
} {
  return BODY_REQUIRED.has(route)
    ? { config: { tooLarge: TOO_LARGE } }
    : { config: { tooLarge: TOO_LARGE, optional: true }, onRequest: emptyBodyIsNone };
}

/** The fields of `route` as a sentence's end: `percentage, reason, waitMs`, or that it has none. */
function fieldList(route: AdminRoute): string {
  const fields: readonly string[] = ADMIN_BODY_FIELDS[route];
  return fields.length === 0
    ? 'it takes none: send {} or no body'
    : `the fields are ${fields.join(', ')}`;
}

/**
 * The body of a request to the admin route `route`, checked before anything changes: absent
 * (no body) or a JSON object whose keys are all among the route's fields. Anything else is
 * `INVALID_ARGUMENT`, naming the key (quoted, cut like every echo) with a did-you-mean and the
 * fields the route takes, and the path the caller posted to (`path`, for a route with a
 * parameter: `/v1/rollout/plan/pause`, not its pattern). A JSON `null` is a body, and not an
 * object: refused like `[]` or `5` (taken as no body, it engaged the kill switch of
 * `POST /v1/rollback` with the default reason, for a client that most likely meant to send its
 * fields and sent a variable that was unset).
 */
export function adminBody(
  body: unknown,
  route: AdminRoute,
  path: string = route,
): Readonly<Record<string, unknown>> {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError(
      'the body',
      `of POST ${path} must be a JSON object${BODY_REQUIRED.has(route) ? '' : ' or no body'}, got ${body === null ? 'null' : Array.isArray(body) ? 'a list' : typeof body}; ${fieldList(route)}`,
    );
  }
  const fields: readonly string[] = ADMIN_BODY_FIELDS[route];
  for (const key of Object.keys(body)) {
    if (fields.includes(key)) continue;
    const meant = suggestKey(key, fields);
    throw new InvalidArgumentError(
      echoed(key, true),
      `is not a field of POST ${path}${meant ? ` (did you mean "${meant}"?)` : ''}; ${fieldList(route)}`,
    );
  }
  return body as Record<string, unknown>;
}
