import type { FastifyInstance } from 'fastify';
import { MAX_ECHOED_CHARACTERS } from '../config/schema-errors.js';
import { InvalidContextError } from '../decision/index.js';
import { FlagrouteError, InvalidArgumentError } from '../errors.js';

/** Text that may spell a refused key: the names themselves, or any \u escape. */
const SUSPECT = /__proto__|constructor|\\u/;

/**
 * Where `value` holds a key no body may carry, as a dotted path (`context.__proto__`): a
 * `__proto__` key, or a `constructor` object with a `prototype` key. Copied by assignment or a
 * deep merge, either would change an object's prototype. Undefined when there is none.
 */
export function forbiddenKeyPath(value: unknown, path: readonly string[] = []): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const here = [...path, key];
    if (key === '__proto__') return here.join('.');
    if (
      key === 'constructor' &&
      typeof child === 'object' &&
      child !== null &&
      Object.hasOwn(child, 'prototype')
    ) {
      return [...here, 'prototype'].join('.');
    }
    const below = forbiddenKeyPath(child, here);
    if (below !== undefined) return below;
  }
  return undefined;
}

/**
 * A request body as JSON: `PARSE_ERROR` with JSON's own words when it is not JSON; a body that
 * is JSON but carries a key that could change a prototype is refused naming the key and why
 * (the context of an OFREP or decide request: `INVALID_CONTEXT`; elsewhere `INVALID_ARGUMENT`).
 * `JSON.parse` makes `__proto__` an own key rather than a prototype, so the check runs on the
 * parsed value, and only when the text could spell such a key.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) {
    throw new FlagrouteError('PARSE_ERROR', 'malformed JSON body: the body is empty');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FlagrouteError('PARSE_ERROR', `malformed JSON body: ${(error as Error).message}`);
  }
  const found = SUSPECT.test(text) ? forbiddenKeyPath(value) : undefined;
  if (found === undefined) return value;
  // A long path is shown by its end, where the refused key is, and its length.
  const path =
    found.length <= MAX_ECHOED_CHARACTERS
      ? found
      : `\u2026${found.slice(-MAX_ECHOED_CHARACTERS)} (a path of ${found.length} characters)`;
  const why = `is a key flagroute refuses in any request: copied into an object it could change that object's prototype; rename it`;
  if (found.startsWith('context.') || found.startsWith('attributes.')) {
    throw new InvalidContextError(path, why);
  }
  throw new InvalidArgumentError(path, why);
}

/** Replaces fastify's JSON body parser with {@link parseJsonBody}. */
export function useJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
