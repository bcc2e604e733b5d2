/**
 * flagroute's one error vocabulary: every error a public function throws is a
 * {@link FlagrouteError} carrying a stable `code`, so that callers (and the CLI's exit codes)
 * branch on codes, never on message text. The same list is every code that reaches the wire:
 * the HTTP service answers each with its status (`HTTP_STATUSES`), and nothing else.
 */

/**
 * The stable codes of flagroute's errors, and the closed list of `errorCode`s an HTTP answer
 * carries: the library's, OpenFeature's evaluation codes, and the HTTP service's own.
 */
export const ERROR_CODES = [
  /** The configuration could not be loaded; `issues` lists every problem. */
  'INVALID_CONFIG',
  /** A routing context is malformed (a caller bug, not a routing outcome). */
  'INVALID_CONTEXT',
  /** An outcome report (or the decision it is tied to) is malformed; nothing was recorded. */
  'INVALID_OUTCOME',
  /** An argument of an API call is out of range or of the wrong type. */
  'INVALID_ARGUMENT',
  /** `decideSync` cannot decide: a loaded rule needs json-rules-engine's async run. */
  'ASYNC_RULE',
  /** A configuration file cannot be edited (read-only, or not a regular file). */
  'CONFIG_NOT_WRITABLE',
  /** A change would not take effect: the kill switch holds the rollout at 0 until lifted. */
  'KILL_SWITCH_ENGAGED',
  /** A command was called wrongly. */
  'USAGE',
  /** Input data (events, statistics, a metrics source) cannot be read or used. */
  'INVALID_DATA',
  /** A store URL (`--store`, `FLAGROUTE_STORE`) is malformed or of a kind flagroute lacks. */
  'INVALID_STORE_URL',
  /** The store cannot be reached or used now (refused, timed out, shutting down): try again. */
  'STORE_UNAVAILABLE',
  /** The store refused the login or an operation (password, role, privileges, database name). */
  'STORE_ACCESS_DENIED',
  /** The store's schema is newer than this flagroute knows, or differs from its migrations. */
  'STORE_SCHEMA_MISMATCH',
  /**
   * The event store (the experiment's events in the fleet's database) is behind by more than
   * its limit: nothing of the request was recorded; send it again after `Retry-After`.
   */
  'EVENTS_BACKLOGGED',
  /**
   * A rollout plan refused a command or a controller its work: not from the plan's phase (pause
   * a completed plan), or another controller holds the environment's lease.
   */
  'PLAN_CONFLICT',
  // OpenFeature's evaluation codes (OFREP and the in-process provider).
  /** No flag of that key is served (the flags are `backend`, `cohort`, `bucket`). */
  'FLAG_NOT_FOUND',
  /** An evaluation context has no `targetingKey` (the user id). */
  'TARGETING_KEY_MISSING',
  /** A flag was asked for as a type it is not (`bucket` as a string). */
  'TYPE_MISMATCH',
  // The HTTP service's own: the request itself, before flagroute reads it.
  /** The body is not JSON. */
  'PARSE_ERROR',
  /** The body is not `application/json`. */
  'UNSUPPORTED_MEDIA_TYPE',
  /** The body is larger than the server's limit. */
  'PAYLOAD_TOO_LARGE',
  /** The request is malformed in a way no other code names. */
  'BAD_REQUEST',
  /** An admin route without a bearer token. */
  'UNAUTHORIZED',
  /** An admin route with a wrong token, or with the admin API off (no token configured). */
  'FORBIDDEN',
  /** No route, plan action or dashboard file of that name. */
  'NOT_FOUND',
  /** The route exists, for other methods (the answer's `Allow` header lists them). */
  'METHOD_NOT_ALLOWED',
  /** The process already serves as many event streams (the dashboard's) as its limit; try later. */
  'TOO_MANY_STREAMS',
  /** The server failed; the details are in its log, never in the answer. */
  'GENERAL',
] as const;
/** A stable code of a flagroute error. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The base of every error flagroute throws. */
export class FlagrouteError extends Error {
  /** Stable code for callers. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One bad item of a batch of outcomes: its index, its field and what is wrong. */
export interface OutcomeProblemAt {
  index: number;
  field: string;
  message: string;
  /**
   * For a refused decision token, why, as a code (`expired`, `bad_signature`, ...: the
   * decision tokens' `TOKEN_REFUSALS`), so that a client branches on it, not on the message.
   */
  reason?: string;
}

/** An outcome report (or a batch of them) that was refused whole: nothing of it was recorded. */
export class InvalidOutcomeError extends FlagrouteError {
  /** The offending field (`outcome.latencyMs`, `decision.cohort`, `backend`, ...). */
  readonly field: string;
  /** For a batch: every bad item (empty for a single outcome). */
  readonly problems: readonly OutcomeProblemAt[];

  constructor(field: string, message: string, problems: readonly OutcomeProblemAt[] = []) {
    super('INVALID_OUTCOME', `invalid outcome: ${field} ${message}`);
    this.field = field;
    this.problems = problems;
  }

  /** A batch with bad items: names every one; the field is the first item's. */
  static batch(problems: readonly OutcomeProblemAt[], count: number): InvalidOutcomeError {
    const error = new InvalidOutcomeError(problems[0]?.field ?? 'outcomes', '', problems);
    error.message = `${problems.length} of ${count} outcomes are invalid; none was recorded`;
    return error;
  }
}

/** An argument of an API call that is out of range or of the wrong type. */
export class InvalidArgumentError extends FlagrouteError {
  /** The offending argument. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super('INVALID_ARGUMENT', `${argument} ${message}`);
    this.argument = argument;
  }
}

/** What a store answered when it could not be used. */
export type StoreErrorCode =
  | 'INVALID_STORE_URL'
  | 'STORE_UNAVAILABLE'
  | 'STORE_ACCESS_DENIED'
  | 'STORE_SCHEMA_MISMATCH';

/**
 * A store (PostgreSQL) that cannot be used. The message says where (database, host, port,
 * user) and why, and never holds a password or a file-system path.
 */
export class StoreError extends FlagrouteError {
  declare readonly code: StoreErrorCode;

  /**
   * What the store or the system reported, as a code: a PostgreSQL SQLSTATE (`28P01`), a
   * system error (`ECONNREFUSED`), or `undefined`.
   */
  readonly reason: string | undefined;

  constructor(code: StoreErrorCode, message: string, reason?: string) {
    super(code, message);
    this.reason = reason;
  }
}
