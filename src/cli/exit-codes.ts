import type { ErrorCode } from '../errors.js';

/**
 * Exit codes of every command: 0 ok, 1 a problem with the configuration or an input, 2 usage,
 * 3 a conflict with the state of a rollout plan (a refused command, another controller's
 * lease), 4 the store is unavailable (try again later), 5 the store's schema does not match this
 * flagroute (upgrade it, or migrate the store).
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  conflict: 3,
  storeUnavailable: 4,
  schemaMismatch: 5,
} as const;

/** The exit code of each error code: the one table the CLI consults. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  INVALID_CONFIG: EXIT.failure,
  INVALID_CONTEXT: EXIT.usage,
  INVALID_OUTCOME: EXIT.usage,
  INVALID_ARGUMENT: EXIT.usage,
  ASYNC_RULE: EXIT.failure,
  CONFIG_NOT_WRITABLE: EXIT.failure,
  KILL_SWITCH_ENGAGED: EXIT.failure,
  USAGE: EXIT.usage,
  INVALID_DATA: EXIT.failure,
  INVALID_STORE_URL: EXIT.usage,
  STORE_UNAVAILABLE: EXIT.storeUnavailable,
  STORE_ACCESS_DENIED: EXIT.failure,
  STORE_SCHEMA_MISMATCH: EXIT.schemaMismatch,
  EVENTS_BACKLOGGED: EXIT.storeUnavailable,
  PLAN_CONFLICT: EXIT.conflict,
  FLAG_NOT_FOUND: EXIT.usage,
  TARGETING_KEY_MISSING: EXIT.usage,
  TYPE_MISMATCH: EXIT.usage,
  PARSE_ERROR: EXIT.usage,
  UNSUPPORTED_MEDIA_TYPE: EXIT.usage,
  PAYLOAD_TOO_LARGE: EXIT.usage,
  BAD_REQUEST: EXIT.usage,
  UNAUTHORIZED: EXIT.failure,
  FORBIDDEN: EXIT.failure,
  NOT_FOUND: EXIT.failure,
  METHOD_NOT_ALLOWED: EXIT.failure,
  TOO_MANY_STREAMS: EXIT.failure,
  GENERAL: EXIT.failure,
};
