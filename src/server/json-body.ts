import type { FastifyInstance } from 'fastify';
import { echoed, MAX_ECHOED_CHARACTERS } from '../config/schema-errors.js';
import { InvalidContextError } from '../decision/index.js';
import { FlagrouteError, InvalidArgumentError } from '../errors.js';
import { describeJsonSyntaxError } from '../json-syntax.js';
import { decodeUtf8, describeUtf8Fault } from '../utf8.js';
import { findDuplicateKey, mayRepeatKeys } from './duplicate-keys.js';

/**
 * What a route says of its JSON body, in its options' `config`: whether the body is a context
 * (its problems are `INVALID_CONTEXT`), and what its 413 advises, in the route's own terms.
 */
export interface RouteBody {
  /** The body is an evaluation or routing context (OFREP, `/v1/decide`, `/v1/explain`). */
  isContext?: boolean;
  /** How to send that route's data in less, ending the 413's words. */
  tooLarge?: string;
  /**
   * The route acts without a body: an empty one is none (the handler sees `undefined`, as
   * without a content type), where a route that needs one refuses it (`PARSE_ERROR`).
   */
  optional?: boolean;
}

/** Text that may spell a refused key: the names themselves, or any \u escape. */
const SUSPECT = /__proto__|constructor|\\u/;

/**
 * The deepest nesting of objects and lists a request body may have. Nothing flagroute reads
 * nests more than a few levels; a deeper body (64 KiB hold some 32,000 levels) would only make
 * every walk over it (the check for refused keys, the ETag's stable JSON) recurse that deep.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * Where `value` holds a key no body may carry, as a dotted path (`context.__proto__`): a
 * `__proto__` key, or a `constructor` object with a `prototype` key. Copied by assignment or a
 * deep merge, either would change an object's prototype. Undefined when there is none. One
 * path is kept and extended in place, so a walk costs the size of the value, not its size
 * times its depth.
 */
export function forbiddenKeyPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    path.push(key);
    if (key === '__proto__') return path.join('.');
    if (
      key === 'constructor' &&
      typeof child === 'object' &&
      child !== null &&
      Object.hasOwn(child, 'prototype')
    ) {
      return [...path, 'prototype'].join('.');
    }
    const below = forbiddenKeyPath(child, path);
    if (below !== undefined) return below;
    path.pop();
  }
  return undefined;
}

/** What {@link structureOf} says of a text that nests too deep. */
const TOO_DEEP = -1;

/**
 * One pass over the characters of JSON `text` (brackets and colons inside strings do not
 * count): {@link TOO_DEEP} when it nests objects and lists deeper than `limit`, else the number
 * of its keys (its colons outside strings; see `mayRepeatKeys`). A body too short to hold that
 * many brackets is not read at all: undefined.
 */
function structureOf(text: string, limit: number): number | undefined {
  if (text.length < 2 * (limit + 1)) return undefined;
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x3a) {
      keys += 1;
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > limit) return TOO_DEEP;
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
    }
  }
  return keys;
}

/** The path to the first object or list of `value` below `limit` levels (it has one). */
function tooDeepPath(value: unknown, limit: number, path: string[] = []): string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (path.length === limit) return [...path];
  for (const [key, child] of Object.entries(value)) {
    path.push(key);
    const found = tooDeepPath(child, limit, path);
    if (found !== undefined) return found;
    path.pop();
  }
  return undefined;
}

/** A path as an error names it: a long one by its end, where the point is, and its length. */
function shownPath(path: string): string {
  return path.length <= MAX_ECHOED_CHARACTERS
    ? path
    : `\u2026${path.slice(-MAX_ECHOED_CHARACTERS)} (a path of ${path.length} characters)`;
}

/**
 * A problem at `path` of a body: `INVALID_CONTEXT` when the route's body is a context (OFREP's,
 * `/v1/decide`'s), else `INVALID_ARGUMENT`, whatever the path's first key: an admin body or an
 * outcome with an `attributes` or `context` key holds no context (the key is refused there
 * anyway, as not a field of the route).
 */
function bodyProblem(path: string, why: string, isContext: boolean): FlagrouteError {
  const shown = shownPath(path);
  return isContext ? new InvalidContextError(shown, why) : new InvalidArgumentError(shown, why);
}

/**
 * A request body as JSON: `PARSE_ERROR` saying where and why when it is not JSON (in words,
 * quoting none of it: `JSON.parse`'s message quotes the bytes around the fault); a body that
 * is JSON but nests deeper than {@link MAX_BODY_DEPTH}, gives a key twice in one object, or
 * carries a key that could change a prototype, is refused naming where and why (in a context,
 * or a body that is one, `isContext`: `INVALID_CONTEXT`; elsewhere `INVALID_ARGUMENT`).
 * `JSON.parse` keeps the last of a repeated key without a word, so the text is read for one,
 * natively unless it could hold one (see `mayRepeatKeys`). `JSON.parse` makes `__proto__` an
 * own key rather than a prototype, so that check runs on the parsed value, and only when the
 * text could spell such a key.
 */
export function parseJsonBody(text: string, isContext = false): unknown {
  if (text.length === 0) {
    throw new FlagrouteError('PARSE_ERROR', 'malformed JSON body: the body is empty');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FlagrouteError(
      'PARSE_ERROR',
      `malformed JSON body: ${describeJsonSyntaxError(text)}`,
    );
  }
  const keyColons = structureOf(text, MAX_BODY_DEPTH);
  if (keyColons === TOO_DEEP) {
    const path = tooDeepPath(value, MAX_BODY_DEPTH)?.join('.') || 'the body';
    throw bodyProblem(
      path,
      `nests objects and lists more than ${MAX_BODY_DEPTH} levels deep, more than flagroute reads anywhere; send flatter data`,
      isContext,
    );
  }
  const repeated = mayRepeatKeys(text, value, keyColons) ? findDuplicateKey(text) : undefined;
  if (repeated !== undefined) {
    const { first, second } = repeated;
    throw bodyProblem(
      repeated.path.join('.'),
      `is given twice in one object (at ${first.line}:${first.column} and ${second.line}:${second.column} of the body): JSON would keep the last value without a word; give each key once`,
      isContext,
    );
  }
  const found = SUSPECT.test(text) ? forbiddenKeyPath(value) : undefined;
  if (found === undefined) return value;
  throw bodyProblem(
    found,
    `is a key flagroute refuses in any request: copied into an object it could change that object's prototype; rename it`,
    isContext,
  );
}

/** A `charset` parameter of a media type: `latin1` of `application/json; charset=latin1`. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * JSON is UTF-8 (RFC 8259); the body is read as UTF-8 whatever the header says, so a body sent
 * in another charset is refused (`UNSUPPORTED_MEDIA_TYPE`, 415) rather than read wrong: a user
 * id `josé` in Latin-1 would become `jos\uFFFD`, another user with another bucket.
 */
function checkCharset(contentType: string | undefined): void {
  const charset = CHARSET.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return;
  throw new FlagrouteError(
    'UNSUPPORTED_MEDIA_TYPE',
    `send JSON in UTF-8 (Content-Type: application/json, with charset=utf-8 or none), got charset=${echoed(charset)}`,
  );
}

/**
 * A compressed body (`Content-Encoding: gzip`) is refused as what it is (415), not parsed as
 * JSON and called malformed with a few of its binary bytes: bodies are small (64 KiB at most)
 * and read as sent.
 */
function checkEncoding(encoding: string | undefined): void {
  if (encoding === undefined || encoding.trim() === '' || /^\s*identity\s*$/i.test(encoding)) {
    return;
  }
  throw new FlagrouteError(
    'UNSUPPORTED_MEDIA_TYPE',
    `send the body uncompressed (no Content-Encoding), got Content-Encoding: ${echoed(encoding)}`,
  );
}

/**
 * The text of a body's bytes, which JSON has in UTF-8: bytes that are not UTF-8 are a
 * `PARSE_ERROR` naming where the first one is, never read as U+FFFD (a Latin-1 `josé` sent
 * without a charset would be `jos\uFFFD`, one user for all such names, and Python, hashing the
 * real bytes, would put the user in another bucket). A leading byte order mark is kept, so
 * `JSON.parse` refuses it as it did.
 */
function jsonBodyText(body: Buffer): string {
  const text = decodeUtf8(body, { keepBom: true });
  if (typeof text === 'string') return text;
  const place = describeUtf8Fault(text, 'the body', !body.includes(0x0a));
  throw new FlagrouteError(
    'PARSE_ERROR',
    `malformed JSON body: ${place}; JSON is UTF-8 (RFC 8259): send the text encoded as UTF-8`,
  );
}

/**
 * Replaces fastify's JSON body parser with {@link parseJsonBody}, told by the route's
 * {@link RouteBody} whether the body is a context. fastify's own parser reads the bytes as
 * UTF-8 leniently, so the body is taken as bytes and read by {@link jsonBodyText}.
 */
export function useJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      checkCharset(request.headers['content-type']);
      checkEncoding(request.headers['content-encoding']);
      const route = request.routeOptions.config as RouteBody | undefined;
      if ((body as Buffer).length === 0 && route?.optional === true) {
        done(null, undefined);
        return;
      }
      done(null, parseJsonBody(jsonBodyText(body as Buffer), route?.isContext === true));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
