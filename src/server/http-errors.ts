import type { ErrorCode } from '../errors.js';

/** The HTTP status of each error code: the one table the server consults. */
export const HTTP_STATUSES: Readonly<Record<ErrorCode, number>> = {
  INVALID_CONFIG: 500,
  INVALID_CONTEXT: 400,
  INVALID_OUTCOME: 400,
  INVALID_ARGUMENT: 400,
  ASYNC_RULE: 500,
  CONFIG_NOT_WRITABLE: 409,
  SHADOWED_BY_VARIABLE: 409,
  KILL_SWITCH_ENGAGED: 409,
  USAGE: 400,
  INVALID_DATA: 502,
  INVALID_STORE_URL: 500,
  STORE_UNAVAILABLE: 503,
  STORE_ACCESS_DENIED: 503,
  STORE_SCHEMA_MISMATCH: 503,
  PLAN_CONFLICT: 409,
};

/** The body of every error the native API returns. */
export interface ErrorBody {
  errorCode: string;
  errorDetails: string;
  /** For a batch: every problem, each with its item's index. */
  problems?: { index: number; field: string; message: string }[];
}
