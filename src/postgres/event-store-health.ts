import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { FlagrouteError, StoreError } from '../errors.js';
import {
  type DropReason,
  type EventLogHealth,
  FAILURE_SUMMARIES,
  healthOf,
  type WriteFailure,
} from '../event-log/index.js';

/** The event store's health as `/readyz` shows it: the event log's, and the requests refused. */
export type EventStoreHealth = EventLogHealth & { refused: Partial<Record<WriteFailure, number>> };

/**
 * What the event store went through, for `/readyz`, `/metrics` and the log: writes, drops,
 * failures and refusals by reason, the failure under way, and whether it is behind its limit.
 * Each state is logged once when it starts and once when it ends.
 */
export class EventStoreTracker {
  written = 0;
  private failure: { reason: WriteFailure; since: number } | undefined;
  private behindSince: number | undefined;
  private readonly droppedBy: Partial<Record<DropReason, number>> = {};
  private readonly failedBy: Partial<Record<WriteFailure, number>> = {};
  private readonly refusedBy: Partial<Record<WriteFailure, number>> = {};

  constructor(
    private readonly limit: number,
    private readonly logger: Logger | undefined,
    private readonly clock: Clock,
  ) {}

  /** The reason of the failure under way, if any. */
  get failing(): WriteFailure | undefined {
    return this.failure?.reason;
  }

  dropped(reason: DropReason, count: number): void {
    this.droppedBy[reason] = (this.droppedBy[reason] ?? 0) + count;
  }

  refused(reason: WriteFailure): void {
    this.refusedBy[reason] = (this.refusedBy[reason] ?? 0) + 1;
  }

  /**
   * The answer to a request whose outcomes the database did not take, counted as refused by
   * its reason. It says what happened and what to do, not where the database is: the client
   * is an ingest service, and host, port, database and role are the operator's to read, in the
   * log (`failed`) and the CLI.
   */
  refusal(error: unknown): FlagrouteError {
    const reason = failureOf(error);
    this.refused(reason);
    if (error instanceof FlagrouteError && !(error instanceof StoreError)) return error;
    const code = error instanceof StoreError ? error.code : 'STORE_UNAVAILABLE';
    const why =
      reason === 'store_refused'
        ? 'the database of the event store refuses the write'
        : 'the database of the event store cannot be reached now';
    return new StoreError(
      code,
      `${why}; nothing was recorded, send the outcomes again shortly (a decision's token takes one outcome, so sending again is safe)`,
    );
  }

  /** Whether more than the limit waits now (logged when that changes). */
  behind(waiting: number, behind: boolean): void {
    if (behind === (this.behindSince !== undefined)) return;
    if (behind) {
      this.behindSince = this.clock.now();
      this.logger?.warn(
        { waiting, limit: this.limit },
        `the event store is more than ${this.limit} events behind: outcomes are refused (503 EVENTS_BACKLOGGED) and exposures dropped and counted until it catches up`,
      );
    } else {
      this.behindSince = undefined;
      this.logger?.info({ waiting }, 'the event store caught up; outcomes are taken again');
    }
  }

  failed(error: unknown, waiting: number): void {
    const reason = failureOf(error);
    this.failedBy[reason] = (this.failedBy[reason] ?? 0) + 1;
    if (this.failure?.reason === reason) return;
    this.failure = { reason, since: this.clock.now() };
    this.logger?.error(
      { err: error, reason, waiting },
      `the event store cannot be written (${reason}): ${FAILURE_SUMMARIES[reason]}`,
    );
  }

  recovered(): void {
    const failure = this.failure;
    if (!failure) return;
    this.failure = undefined;
    this.logger?.info(
      { reason: failure.reason, dropped: { ...this.droppedBy } },
      `the event store is written again (it failed with ${failure.reason} since ${new Date(failure.since).toISOString()})`,
    );
  }

  health(waiting: number): EventStoreHealth {
    const failure =
      this.failure ??
      (this.behindSince === undefined
        ? undefined
        : { reason: 'store_behind' as const, since: this.behindSince });
    return {
      ...healthOf({
        failure,
        written: this.written,
        waiting,
        dropped: this.droppedBy,
        failures: this.failedBy,
        reopened: 0,
      }),
      refused: { ...this.refusedBy },
    };
  }
}

/** The reason of a store failure, for counts and `/readyz`. */
function failureOf(error: unknown): WriteFailure {
  if (!(error instanceof StoreError)) return 'other';
  return error.code === 'STORE_UNAVAILABLE' ? 'store_unavailable' : 'store_refused';
}
