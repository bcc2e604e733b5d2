import type { ErrorCode } from '../errors.js';

/** Exit codes of every command: 0 ok, 1 a problem with the configuration or an input, 2 usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The exit code of each error code: the one table the CLI consults. */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  INVALID_CONFIG: EXIT.failure,
  INVALID_CONTEXT: EXIT.usage,
  INVALID_OUTCOME: EXIT.usage,
  INVALID_ARGUMENT: EXIT.usage,
  ASYNC_RULE: EXIT.failure,
  CONFIG_NOT_WRITABLE: EXIT.failure,
  SHADOWED_BY_VARIABLE: EXIT.failure,
  KILL_SWITCH_ENGAGED: EXIT.failure,
  USAGE: EXIT.usage,
  INVALID_DATA: EXIT.failure,
};
