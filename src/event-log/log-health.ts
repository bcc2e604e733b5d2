import { type DropReason, FAILURE_SUMMARIES, type WriteFailure } from './write-failures.js';

/** An event log's state, as `/readyz` shows it (no file path). */
export interface EventLogHealth {
  /** `degraded` while writes fail (events wait in memory, then are dropped). */
  status: 'ok' | 'degraded';
  /** While degraded: why, what it means, and since when (ISO 8601). */
  failure: { reason: WriteFailure; summary: string; since: string } | null;
  /** Events on disk since start. */
  written: number;
  /** Events waiting in memory for the disk. */
  waiting: number;
  /** Events dropped since start, by reason. */
  dropped: Partial<Record<DropReason, number>>;
  /** Failed writes since start, by reason (retries included). */
  failures: Partial<Record<WriteFailure, number>>;
  /** Times this process found its file deleted or replaced and opened a new one. */
  reopened: number;
  /** Requests refused (503) rather than recorded and then dropped, by reason (the event store). */
  refused?: Partial<Record<WriteFailure, number>>;
}

/** What a log (or the event store) has been through, as its writer keeps it. */
export interface HealthCounts {
  /** The failure under way: why, and since when (ms since the epoch). */
  failure: { reason: WriteFailure; since: number } | undefined;
  written: number;
  waiting: number;
  dropped: Readonly<Partial<Record<DropReason, number>>>;
  failures: Readonly<Partial<Record<WriteFailure, number>>>;
  reopened: number;
}

/**
 * The health `/readyz` shows from a writer's counts: degraded while a failure is under way,
 * with its summary and since when, and copies of the counts.
 */
export function healthOf(counts: HealthCounts): EventLogHealth {
  const { failure } = counts;
  return {
    status: failure ? 'degraded' : 'ok',
    failure: failure
      ? {
          reason: failure.reason,
          summary: FAILURE_SUMMARIES[failure.reason],
          since: new Date(failure.since).toISOString(),
        }
      : null,
    written: counts.written,
    waiting: counts.waiting,
    dropped: { ...counts.dropped },
    failures: { ...counts.failures },
    reopened: counts.reopened,
  };
}
