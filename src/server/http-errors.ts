import type { FastifyError } from 'fastify';
import { issueForResponse } from '../config/issue-for-response.js';
import { ConfigError } from '../config/issues.js';
import {
  type ErrorCode,
  FlagrouteError,
  InvalidOutcomeError,
  type OutcomeProblemAt,
} from '../errors.js';

/** The HTTP status of each error code: the one table the server consults. */
export const HTTP_STATUSES: Readonly<Record<ErrorCode, number>> = {
  // The configuration on disk does not load (an admin write over a broken file): no client
  // mistake and no server bug, but a state the request conflicts with; it succeeds once the
  // file is fixed, as CONFIG_NOT_WRITABLE's does once the file can be written.
  INVALID_CONFIG: 409,
  INVALID_CONTEXT: 400,
  INVALID_OUTCOME: 400,
  INVALID_ARGUMENT: 400,
  ASYNC_RULE: 500,
  CONFIG_NOT_WRITABLE: 409,
  KILL_SWITCH_ENGAGED: 409,
  USAGE: 400,
  INVALID_DATA: 502,
  INVALID_STORE_URL: 500,
  STORE_UNAVAILABLE: 503,
  STORE_ACCESS_DENIED: 503,
  STORE_SCHEMA_MISMATCH: 503,
  EVENTS_BACKLOGGED: 503,
  PLAN_CONFLICT: 409,
  FLAG_NOT_FOUND: 404,
  TARGETING_KEY_MISSING: 400,
  TYPE_MISMATCH: 400,
  PARSE_ERROR: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  TOO_MANY_STREAMS: 503,
  GENERAL: 500,
};

/** The codes an OFREP error may carry (v0.3.0); any other is sent as `GENERAL`. */
export const OFREP_ERROR_CODES: ReadonlySet<ErrorCode> = new Set([
  'PARSE_ERROR',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
  'FLAG_NOT_FOUND',
]);

/** The body of every error the service answers with. */
export interface ErrorBody {
  errorCode: ErrorCode;
  errorDetails: string;
  /** For a batch: every problem, each with its item's index. */
  problems?: { index: number; field: string; message: string; reason?: string }[];
}

/**
 * fastify's own errors about the request, by their code. Not its JSON parser's
 * (`FST_ERR_CTP_INVALID_JSON_BODY`, `FST_ERR_CTP_EMPTY_JSON_BODY`): fastify raises them only
 * in its default JSON parser, which `createServer` replaces before any route exists
 * (`useJsonBodyParser`); every body is parsed by `parseJsonBody`, whose `PARSE_ERROR` says where
 * and why without quoting the body.
 */
const FASTIFY_CODES: Readonly<Record<string, { code: ErrorCode; details?: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    details: 'send Content-Type: application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE' },
};

/**
 * An error as flagroute's, with its status: a coded error as it is, at its code's status;
 * fastify's request errors by their code, at the status fastify gave (408, 431, ...); anything
 * else `GENERAL`, 500.
 */
function coded(error: unknown): { error: FlagrouteError; status: number } {
  if (error instanceof ConfigError) {
    return { error: configErrorForResponse(error), status: HTTP_STATUSES[error.code] };
  }
  if (error instanceof FlagrouteError) return { error, status: HTTP_STATUSES[error.code] };
  const fastify = error as Partial<FastifyError>;
  const status = fastify.statusCode ?? 500;
  if (status >= 500) {
    return {
      error: new FlagrouteError('GENERAL', 'internal error; see the server log'),
      status: 500,
    };
  }
  const known = FASTIFY_CODES[fastify.code ?? ''];
  const code = known?.code ?? (status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST');
  return { error: new FlagrouteError(code, known?.details ?? String(fastify.message)), status };
}

/**
 * A configuration that cannot be loaded (an admin write over a file that no longer parses) as an
 * answer may say it: each problem by {@link issueForResponse}, since the parser's own message
 * may quote the file's line, and on the salt's line that is the salt. Files are already named
 * relative to the configuration directory (serve's `cwd`); the server's path scrubber follows.
 */
function configErrorForResponse(error: ConfigError): ConfigError {
  return new ConfigError(error.issues.map((issue) => issueForResponse(issue, '')));
}

/**
 * What an error becomes on the wire: its code (one of `ERROR_CODES`), the status of that code,
 * and its message; a batch of outcomes lists every problem. An error that is not flagroute's
 * or a request error of fastify's is `GENERAL`, 500, with no detail (the log has it). On an
 * OFREP route, a code OFREP does not define is sent as `GENERAL` (with its status kept).
 */
export function toWire(
  error: unknown,
  options: { ofrep?: boolean } = {},
): { status: number; body: ErrorBody } {
  const { error: known, status } = coded(error);
  const code = options.ofrep && !OFREP_ERROR_CODES.has(known.code) ? 'GENERAL' : known.code;
  const body: ErrorBody = { errorCode: code, errorDetails: known.message };
  if (known instanceof InvalidOutcomeError && known.problems.length > 0) {
    const listed = listedProblems(known.problems);
    body.problems = listed;
    if (listed.length < known.problems.length) {
      body.errorDetails += `; the first ${listed.length} of its ${known.problems.length} problems are listed (an answer lists at most ${MAX_LISTED_PROBLEMS_JSON / 1024} KiB of them)`;
    }
  }
  return { status, body };
}

/**
 * The most an answer's `problems` take, as JSON: 16 KiB. Each problem repeats some of what
 * the caller sent (a cut key in its `field` and again in its `message`), so a batch of 64 KiB
 * whose every item has a long unknown key was answered with 3.4 times its size; now the answer
 * is bounded whatever was sent, and the batch, refused whole, is sent again once fixed.
 */
export const MAX_LISTED_PROBLEMS_JSON = 16_384;

/** The first of `problems` that fit in {@link MAX_LISTED_PROBLEMS_JSON} (at least one). */
function listedProblems(problems: readonly OutcomeProblemAt[]): OutcomeProblemAt[] {
  const listed: OutcomeProblemAt[] = [];
  let size = 0;
  for (const problem of problems) {
    size += JSON.stringify(problem).length + 1;
    if (size > MAX_LISTED_PROBLEMS_JSON && listed.length > 0) break;
    listed.push(problem);
  }
  return listed;
}
