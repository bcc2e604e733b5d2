/** Why the event log could not write: the label of its failure and drop counts. */
export const WRITE_FAILURES = [
  'no_space',
  'io_error',
  'not_permitted',
  'no_directory',
  // The database of a fleet's event store (PostgreSQL) rather than a disk:
  'store_unavailable',
  'store_refused',
  'store_behind',
  'other',
] as const;
/** A reason a write failed. */
export type WriteFailure = (typeof WRITE_FAILURES)[number];

/**
 * Why events were dropped: a write failure that lasted until the waiting room was full (the
 * failure's reason), a disk that kept up too slowly (`backlog`), or events still waiting when
 * the log was closed on a failing disk (the failure's reason) or written after it (`closed`).
 */
export const DROP_REASONS = [...WRITE_FAILURES, 'backlog', 'closed'] as const;
/** A reason of `flagroute_outcome_events_dropped_total{reason}`. */
export type DropReason = (typeof DROP_REASONS)[number];

const FAILURE_OF_CODE: Readonly<Record<string, WriteFailure>> = {
  ENOSPC: 'no_space',
  EDQUOT: 'no_space',
  EFBIG: 'no_space',
  EIO: 'io_error',
  EACCES: 'not_permitted',
  EPERM: 'not_permitted',
  EROFS: 'not_permitted',
  ENOENT: 'no_directory',
  ENOTDIR: 'no_directory',
};

/** The reason of a file-system error. */
export function writeFailureOf(error: unknown): WriteFailure {
  return FAILURE_OF_CODE[(error as NodeJS.ErrnoException | undefined)?.code ?? ''] ?? 'other';
}

/** What each reason means, without a file path (for `/readyz`; the log names the file). */
export const FAILURE_SUMMARIES: Readonly<Record<WriteFailure, string>> = {
  no_space:
    'the disk of the event log is full: events wait in memory up to a limit, then are dropped and counted; writing resumes when space is freed',
  io_error:
    'the disk of the event log fails (I/O error): events wait in memory up to a limit, then are dropped and counted; writing is retried',
  not_permitted:
    'the event log may not be written (permissions, a read-only file system): events wait, then are dropped and counted; writing is retried',
  no_directory:
    'the directory of the event log is missing and cannot be created: events wait, then are dropped and counted; writing is retried',
  store_unavailable:
    'the database of the event store cannot be reached: outcomes are refused with 503 STORE_UNAVAILABLE (clients retry; a token takes one outcome, so a retry is safe), exposures wait, then are dropped and counted; writing is retried',
  store_refused:
    'the database of the event store refuses the writes (privileges, schema): outcomes are refused with 503, exposures wait, then are dropped and counted; writing is retried',
  store_behind:
    'the database of the event store takes events more slowly than they come: new outcomes are refused with 503 EVENTS_BACKLOGGED until it catches up (clients retry), exposures beyond the limit are dropped and counted',
  other:
    'the event log cannot be written: events wait, then are dropped and counted; writing is retried',
};
