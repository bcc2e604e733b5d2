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
/** U+2028 and U+2029: line breaks to a YAML reader, a browser's text and most terminals. */
const SEPARATOR = /[\p{Zl}\p{Zp}]/u;
/**
 * Bidirectional controls (the marks, embeddings, overrides and isolates): they reorder how the
 * text around them shows, so a reason read in the dashboard, a log or a terminal could say
 * something other than what it holds.
 */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * What is wrong with the reason given for a rollout change (`rollback`, `rollout set`,
 * `resume`, a plan command, the admin API), to follow the word `reason`; undefined when nothing
 * is. A reason is a non-empty string of at most `maxLength` characters without control
 * characters (NUL, ESC, a line break), line or paragraph separators (U+2028, U+2029) or
 * bidirectional controls (U+202E and its kin), so that it goes into the environment file, the
 * logs, the dashboard and every answer as it was given, and reads there as it was meant.
 */
export function reasonProblem(reason: unknown, maxLength = MAX_REASON_LENGTH): string | undefined {
  if (typeof reason !== 'string' || reason.trim() === '') {
    return 'must be a non-empty string saying why';
  }
  const length = [...reason].length;
  if (length > maxLength) return `is ${length} characters long; give at most ${maxLength}`;
  const control = CONTROL.exec(reason);
  if (control) {
    return `contains the control character U+${codeOf(control[0])}; give one line of plain text`;
  }
  const separator = SEPARATOR.exec(reason);
  if (separator) {
    return `contains the line separator U+${codeOf(separator[0])}; give one line of plain text`;
  }
  const bidi = BIDI_CONTROL.exec(reason);
  if (bidi) {
    return `contains the bidirectional control U+${codeOf(bidi[0])}, which reorders how text shows; give plain text`;
  }
  if (!reason.isWellFormed()) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** A character's code point as `U+` notation writes it (four hex digits at least). */
function codeOf(character: string): string {
  return character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
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
