import { InvalidArgumentError } from '../errors.js';

/**
 * The longest reason a person may give for a rollout change, in characters. The environment
 * file keeps {@link STORED_REASON_LENGTH}, and flagroute adds words of its own to some reasons
 * (`rollout plan aborted: ...`).
 */
export const MAX_REASON_LENGTH = 400;
/** The longest reason the runtime layer and the kill switch keep (the environment file's). */
export const STORED_REASON_LENGTH = 500;

/** Control characters (C0, DEL, C1): a reason is one line of plain text. */
const CONTROL = /\p{Cc}/u;

/**
 * What is wrong with the reason given for a rollout change (`rollback`, `rollout set`,
 * `resume`, a plan command, the admin API), to follow the word `reason`; undefined when nothing
 * is. A reason is a non-empty string of at most `maxLength` characters without control
 * characters (NUL, ESC, a line break), so that it goes into the environment file, the logs and
 * every answer as it was given.
 */
export function reasonProblem(reason: unknown, maxLength = MAX_REASON_LENGTH): string | undefined {
  if (typeof reason !== 'string' || reason.trim() === '') {
    return 'must be a non-empty string saying why';
  }
  const length = [...reason].length;
  if (length > maxLength) return `is ${length} characters long; give at most ${maxLength}`;
  const control = CONTROL.exec(reason);
  if (control) {
    const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `contains the control character U+${code}; give one line of plain text`;
  }
  if (!reason.isWellFormed()) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/**
 * Checks a reason (see {@link reasonProblem}) before anything changes: throws
 * `INVALID_ARGUMENT` naming `reason`.
 */
export function checkReason(reason: unknown, maxLength = MAX_REASON_LENGTH): string {
  const problem = reasonProblem(reason, maxLength);
  if (problem !== undefined) throw new InvalidArgumentError('reason', problem);
  return reason as string;
}

/**
 * The reason a person gave where it comes in (the CLI's `--reason`, an admin request's
 * `reason`), held to {@link checkReason}'s rules at {@link MAX_REASON_LENGTH} (`INVALID_ARGUMENT`
 * naming `reason`: exit 2, HTTP 400); undefined when none was given or it is blank, so the
 * caller's default says why. One function, so the CLI and the API refuse the same reasons.
 */
export function givenReason(reason: unknown): string | undefined {
  if (reason === undefined || reason === null) return undefined;
  if (typeof reason === 'string' && reason.trim() === '') return undefined;
  return checkReason(reason);
}
