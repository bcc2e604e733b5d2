import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { echoed } from '../config/schema-errors.js';
import { FlagrouteError } from '../errors.js';
import { flagNotFound } from '../ofrep/index.js';
import { toWire } from './http-errors.js';
import { SINGLE_FLAG } from './ofrep-routes.js';

/** Default of `ServerOptions.bodyLimit`. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Default of `ServerOptions.requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * The most bytes of a refused body (one over the limit) read and thrown away so that its
 * client receives the 413; a client still sending beyond them has its connection closed.
 */
export const MAX_DISCARDED_BODY_BYTES = 64 * 1024 * 1024;

/**
 * How often the server looks for requests past their time limit: a tenth of the limit, at
 * most 250 ms, so a request that has not arrived whole is answered 408 at most that long after
 * its limit. (Node looks every 30 s by default: a 10 s limit held for up to 40 s.)
 */
export function requestCheckIntervalMs(requestTimeoutMs: number): number {
  return Math.max(10, Math.min(250, Math.floor(requestTimeoutMs / 10)));
}

/** Whether an error is a body over the limit (fastify's, by its declared length or as read). */
export function isBodyTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
}

/**
 * A body over the limit, in words that say the limit and, when the route gives it (its
 * `RouteBody.tooLarge`), how to send less to that route.
 */
export function bodyTooLarge(bodyLimit: number, advice?: string): FlagrouteError {
  const size = bodyLimit % 1024 === 0 ? ` (${bodyLimit / 1024} KiB)` : '';
  return new FlagrouteError(
    'PAYLOAD_TOO_LARGE',
    `the body is larger than this server takes: at most ${bodyLimit} bytes${size}; ${advice ?? 'send less'}`,
  );
}

/**
 * Lets the client of a body over the limit read its 413. fastify answers as soon as it knows
 * (from `Content-Length`, before reading the body) and closes the connection; a client still
 * sending a body of megabytes without `Expect: 100-continue` then met a reset (the kernel
 * resets a connection closed with data unread) and never saw the answer. So the connection is
 * kept and the rest of the body read and thrown away, up to {@link MAX_DISCARDED_BODY_BYTES}
 * and within the request's time limit (then it is closed, as any slow request is). Called
 * before the answer goes: the body is read from here on, so Node does not drop it unread.
 */
export function drainAfterAnswer(request: IncomingMessage, reply: FastifyReply): void {
  reply.removeHeader('connection');
  if (request.complete) return;
  let discarded = 0;
  const discard = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BODY_BYTES) request.socket.destroy();
  };
  request.on('data', discard);
  request.once('end', () => request.off('data', discard));
}

/**
 * A request Node refused before fastify saw it whole (too slow, headers too large, not HTTP),
 * answered as every error is (`toWire`: `BAD_REQUEST` with status 408, 431 or 400), unless an
 * answer has begun on that connection; the connection is then closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request did not arrive whole within the time limit; send it at once']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are larger than the server accepts']
        : [400, 'malformed HTTP request'];
  const { status, body } = toWire(Object.assign(new Error(message), { statusCode }));
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !answering?.headersSent) {
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

/** The flag key of a request to OFREP's single-flag evaluation, as its path gives it; else undefined. */
function singleFlagKey(request: FastifyRequest): string | undefined {
  const prefix = SINGLE_FLAG.slice(0, -':key'.length);
  const path = request.url.split('?', 1)[0]!;
  if (request.method !== 'POST' || !path.startsWith(prefix)) return undefined;
  const key = path.slice(prefix.length);
  if (key.includes('/')) return undefined;
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/**
 * fastify's refusals of a URL it could not route (`frameworkErrors`: a malformed percent-escape,
 * a path parameter over its length limit), answered as every error is (`BAD_REQUEST` at
 * fastify's status, 400 or 414) instead of fastify's own body, which repeated the whole path.
 * On OFREP's single-flag route a key over the length limit is answered as every key that names
 * no flag, 404 `FLAG_NOT_FOUND` with its key (cut): OFREP defines no 414, and its clients read
 * a 404 as the flag not found, any other status as a `GENERAL` failure.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const key = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? singleFlagKey(request) : undefined;
  if (key !== undefined) {
    const { status, body } = toWire(flagNotFound(key), { ofrep: true });
    void reply.code(status).send({ ...body, key: echoed(key) });
    return;
  }
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a part of the path is longer than the server takes (a flag key, a plan action: 100 characters)'
      : 'the path is not a valid URL (a malformed percent-escape)';
  const refusal = Object.assign(new Error(message), { statusCode: error.statusCode ?? 400 });
  const { status, body } = toWire(refusal, { ofrep: request.url.startsWith('/ofrep/') });
  void reply.code(status).send(body);
}
