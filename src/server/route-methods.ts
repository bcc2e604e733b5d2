import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { echoed } from '../config/schema-errors.js';
import { FlagrouteError } from '../errors.js';
import { toWire } from './http-errors.js';

/** A route's path pattern as a test of a request path, and the methods it answers. */
interface RoutePattern {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/ofrep/v1/evaluate/flags/:key` as a regular expression over a request's path. */
function patternOf(url: string): RegExp {
  const parts = url.split('/').map((part) => {
    if (part.startsWith(':')) return '[^/]+';
    if (part === '*') return '.*';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`);
}

/**
 * The methods each route of `app` answers, collected as routes are added (call it before adding
 * any): `methodsAt(path)` lists the methods of the routes whose pattern matches `path`, sorted,
 * so that a request no route took can be told "405, use these" rather than "404".
 */
export function collectRouteMethods(app: FastifyInstance): (path: string) => string[] {
  const routes = new Map<string, RoutePattern>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let known = routes.get(route.url);
    if (known === undefined) {
      known = { pattern: patternOf(route.url), methods: new Set() };
      routes.set(route.url, known);
    }
    for (const method of methods) known.methods.add(String(method).toUpperCase());
  });
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: answered } of routes.values()) {
      if (pattern.test(path)) for (const method of answered) methods.add(method);
    }
    return [...methods].sort();
  };
}

/**
 * What a request no route took is answered: 405 `METHOD_NOT_ALLOWED` with an `Allow` header
 * when its path is a route's under other methods, else 404 `NOT_FOUND`; both name the method
 * and the path (cut like every echo), in flagroute's error shape. OFREP's paths answer in
 * OFREP's codes (`GENERAL`, the status kept).
 */
export function answerUnrouted(
  request: FastifyRequest,
  reply: FastifyReply,
  methodsAt: (path: string) => string[],
): FastifyReply {
  const path = request.url.split('?', 1)[0]!;
  const allowed = methodsAt(path);
  const ofrep = path.startsWith('/ofrep/');
  if (allowed.length === 0) {
    const { status, body } = toWire(noRoute(request.method, request.url), { ofrep });
    return reply.code(status).send(body);
  }
  const refusal = new FlagrouteError(
    'METHOD_NOT_ALLOWED',
    `${echoed(request.method)} is not a method of ${echoed(path)}; use ${allowed.join(', ')}`,
  );
  const { status, body } = toWire(refusal, { ofrep });
  return reply.code(status).header('allow', allowed.join(', ')).send(body);
}

/** `no route <method> <url>`, with a long URL cut (no answer echoes unbounded input). */
export function noRoute(method: string, url: string): FlagrouteError {
  return new FlagrouteError('NOT_FOUND', `no route ${method} ${echoed(url)}`);
}
