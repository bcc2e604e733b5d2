import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { FlagrouteError } from '../errors.js';

/** A bearer credential of the server: what it guards and how it is set. */
export interface BearerCredential {
  /** The token; undefined or empty when not configured. */
  token: string | undefined;
  /** What it is called in messages: `admin`, `ingest`. */
  name: string;
  /** Why the request is refused (403) when no token is configured. */
  off: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Checks the request's bearer token against `credential` in constant time (both sides hashed
 * first, so their lengths do not leak either). Throws `FORBIDDEN` (403) when no token is
 * configured, `UNAUTHORIZED` (401) without one, `FORBIDDEN` when wrong; never names the token.
 */
export function authorise(credential: BearerCredential, request: FastifyRequest): void {
  const { token, name } = credential;
  if (token === undefined || token === '') throw new FlagrouteError('FORBIDDEN', credential.off);
  const header = request.headers.authorization;
  // The scheme is case-insensitive and may be followed by more than one space (RFC 9110, 11.4).
  const match = typeof header === 'string' ? /^Bearer +(.+)$/i.exec(header) : null;
  if (!match) {
    throw new FlagrouteError(
      'UNAUTHORIZED',
      `send the ${name} token as "Authorization: Bearer <token>"`,
    );
  }
  if (!timingSafeEqual(digest(match[1]!), digest(token))) {
    throw new FlagrouteError('FORBIDDEN', `wrong ${name} token`);
  }
}
