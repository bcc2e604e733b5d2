import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { RetryPause, type RetryPauses } from '../retry-pause.js';
import { DailyFiles } from './daily-files.js';
import { type LogFileSystem, nodeFileSystem } from './log-file-system.js';
import { checkInstance, defaultInstance } from './log-files.js';
import { type EventLogHealth, healthOf } from './log-health.js';
import {
  type DropReason,
  FAILURE_SUMMARIES,
  type WriteFailure,
  writeFailureOf,
} from './write-failures.js';

/** Options of {@link EventLog}. */
export interface EventLogOptions {
  /** Directory of the files; created if missing (again if deleted). */
  dir: string;
  /** The kind of record, singular (`outcome`): files are `<kind>s-YYYY-MM-DD.<instance>.jsonl`. */
  kind: string;
  /** This process's name in its files (letters, digits, `_`, `-`). Default host name and pid. */
  instance?: string;
  /** A file is closed and the next one opened past this size. Default 64 MiB. */
  maxFileBytes?: number;
  /** The oldest files of this kind in the directory are deleted beyond this in all. Default 1 GiB. */
  maxTotalBytes?: number;
  /** Events waiting for the disk beyond this are dropped (and counted), never queued. Default 4 MiB. */
  maxPendingBytes?: number;
  /** After a failed write, the first pause before the next try and the longest (it doubles). Default 100 ms and 5 s. */
  retryMs?: RetryPauses;
  logger?: Logger;
  /** For the times in {@link EventLogHealth}; default the wall clock. */
  clock?: Clock;
  /** The file system; tests inject faults here. Default node:fs. */
  files?: LogFileSystem;
}

/** What `/readyz` and `/metrics` read of an event log (a file log, or the fleet's event store). */
export interface EventLogView {
  /** The kind of record, singular: the `/readyz` key and the metrics' prefix. */
  readonly kind: string;
  health(): EventLogHealth;
}

const MiB = 1024 * 1024;

/**
 * An append-only log of records, one JSON line each, in daily files of this process's own
 * (`<kind>s-YYYY-MM-DD.<instance>.jsonl`, then `.1`, `.2`, ... past the size limit), the oldest
 * of the directory deleted beyond a total size. Generic over the kind of record: outcomes now,
 * exposures beside them.
 *
 * `write` never blocks nor throws: records wait in memory (up to `maxPendingBytes`) and go to
 * the file in batches, each one write of whole lines. A write that fails leaves no part of a
 * line behind (the file is cut back to its last whole line), is logged, counted by reason and
 * shown in {@link EventLog.health}; the batch waits and is tried again after a doubling pause,
 * so writing resumes by itself once the disk takes it (space freed, the directory back).
 * Records beyond the limit are dropped and counted. Before every batch the file is checked by
 * identity (device and inode): a file deleted or moved away (log rotation) is replaced by a new
 * one. Files are created exclusively, so no two processes ever write one file.
 */
export class EventLog<Entry extends { time: string }> {
  /** The kind of record, singular (`outcome`). */
  readonly kind: string;
  readonly dir: string;
  /** This process's name in its file names. */
  readonly instance: string;
  /** Resolves once the directory was created (or its failure recorded). */
  readonly ready: Promise<void>;
  /** Records taken for writing since start. */
  accepted = 0;
  /** Records on disk since start. */
  written = 0;
  private readonly maxPendingBytes: number;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  private readonly daily: DailyFiles;
  private readonly droppedBy: Partial<Record<DropReason, number>> = {};
  private readonly failedBy: Partial<Record<WriteFailure, number>> = {};
  private lines: string[] = [];
  private days: string[] = [];
  private sizes: number[] = [];
  private waitingBytes = 0;
  private flushing: Promise<void> | undefined;
  private readonly retryPause: RetryPause;
  private failure: { reason: WriteFailure; since: number } | undefined;
  private dropping = false;
  private closing: Promise<void> | undefined;
  /** Callers of `flushed`, each until the first `upTo` records taken have left the queue. */
  private waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(options: EventLogOptions) {
    this.kind = options.kind;
    this.dir = options.dir;
    this.instance = checkInstance(options.instance ?? defaultInstance());
    this.maxPendingBytes = options.maxPendingBytes ?? 4 * MiB;
    this.retryPause = new RetryPause(options.retryMs);
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    const files = options.files ?? nodeFileSystem;
    this.daily = new DailyFiles({
      dir: this.dir,
      kind: this.kind,
      prefix: `${this.kind}s`,
      instance: this.instance,
      maxFileBytes: options.maxFileBytes ?? 64 * MiB,
      maxTotalBytes: options.maxTotalBytes ?? 1024 * MiB,
      files,
      logger: this.logger,
    });
    this.ready = files.mkdir(this.dir).catch((error: unknown) => this.failed(error));
  }

  /** Events dropped since start, all reasons. */
  get dropped(): number {
    return Object.values(this.droppedBy).reduce((sum, count) => sum + count, 0);
  }

  /** Appends one record (its `time` picks the day's file); never blocks, never throws. */
  write(entry: Entry): void {
    if (this.closing) {
      this.drop('closed', 1);
      return;
    }
    const line = `${JSON.stringify(entry)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.lines.length > 0 && this.waitingBytes + bytes > this.maxPendingBytes) {
      this.drop(this.failure?.reason ?? 'backlog', 1);
      return;
    }
    this.lines.push(line);
    this.days.push(entry.time.slice(0, 10));
    this.sizes.push(bytes);
    this.waitingBytes += bytes;
    this.accepted += 1;
    this.kick();
  }

  /**
   * Whether `count` more records can wait now without one being dropped (counting 512 bytes a
   * record, more than an outcome line takes): false while the disk is that far behind.
   */
  admits(count: number): boolean {
    if (this.closing) return false;
    return this.lines.length === 0 || this.waitingBytes + count * 512 <= this.maxPendingBytes;
  }

  /**
   * Resolves once every record appended so far is on disk, or its write failed (logged, counted,
   * to be tried again) or it was dropped: at once while the log is failing or closing. What waits
   * on it (the answer to a posted outcome) never waits out a disk outage, and a reader of the
   * files after it finds the records that were written.
   */
  flushed(): Promise<void> {
    if (this.lines.length === 0 || this.failure || this.closing) return Promise.resolve();
    const upTo = this.accepted;
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  /** The log's state: writing or failing (why, since when), and its counts. */
  health(): EventLogHealth {
    return healthOf({
      failure: this.failure,
      written: this.written,
      waiting: this.lines.length,
      dropped: this.droppedBy,
      failures: this.failedBy,
      reopened: this.daily.reopened,
    });
  }

  /**
   * Writes out everything waiting (one last try, if the disk is failing) and closes the file;
   * what cannot be written is dropped, counted and logged.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.retryPause.cancel();
      await this.ready;
      await this.flushing;
      if (this.lines.length > 0) await this.drain(false);
      const left = this.lines.length;
      if (left > 0) {
        const reason = this.failure?.reason ?? 'closed';
        this.logger?.error(
          { dir: this.dir, reason, events: left },
          `${left} ${this.kind} events could not be written before the log closed (${reason}); they are lost`,
        );
        this.take(left);
        this.drop(reason, left);
      }
      await this.daily.close();
    })();
    return this.closing;
  }

  private kick(): void {
    if (this.flushing || this.retryPause.waiting || this.closing) return;
    this.flushing = (async () => {
      await this.ready;
      await this.drain(true);
    })().finally(() => {
      this.flushing = undefined;
      // Records that came while the last batch finished must not wait for the next write.
      if (this.lines.length > 0 && !this.retryPause.waiting) this.kick();
    });
  }

  private async drain(retry: boolean): Promise<void> {
    while (this.lines.length > 0) {
      try {
        await this.writeBatch();
      } catch (error) {
        this.failed(error);
        if (retry && !this.closing) this.retryPause.schedule(() => this.kick());
        return;
      }
      this.recovered();
    }
    this.dropping = false;
  }

  /** Writes the first waiting records of one day that fit the file, in one write. */
  private async writeBatch(): Promise<void> {
    const count = await this.daily.append(this.days, this.sizes, this.lines);
    this.take(count);
    this.written += count;
  }

  private take(count: number): void {
    this.lines.splice(0, count);
    this.days.splice(0, count);
    for (const size of this.sizes.splice(0, count)) this.waitingBytes -= size;
    // The queue is first in, first out: what has left it is what was taken but no longer waits.
    const left = this.accepted - this.lines.length;
    this.release((waiter) => waiter.upTo <= left);
  }

  private release(done: (waiter: { upTo: number }) => boolean): void {
    if (this.waiters.length === 0) return;
    const waiting: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (done(waiter)) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }

  private failed(error: unknown): void {
    const reason = writeFailureOf(error);
    this.failedBy[reason] = (this.failedBy[reason] ?? 0) + 1;
    this.release(() => true);
    if (this.failure?.reason === reason) return;
    this.failure = { reason, since: this.clock.now() };
    this.logger?.error(
      { err: error, dir: this.dir, reason, waiting: this.lines.length },
      `the ${this.kind} event log cannot be written (${reason}): ${FAILURE_SUMMARIES[reason]}`,
    );
  }

  private recovered(): void {
    this.retryPause.succeeded();
    const failure = this.failure;
    if (!failure) return;
    this.failure = undefined;
    this.logger?.info(
      { dir: this.dir, reason: failure.reason, dropped: { ...this.droppedBy } },
      `the ${this.kind} event log is written again (it failed with ${failure.reason} since ${new Date(failure.since).toISOString()})`,
    );
  }

  private drop(reason: DropReason, count: number): void {
    this.droppedBy[reason] = (this.droppedBy[reason] ?? 0) + count;
    if (this.dropping || reason === 'closed') return;
    this.dropping = true;
    const limit = `${Math.round(this.maxPendingBytes / 1024)} KiB`;
    this.logger?.error(
      { dir: this.dir, reason, waiting: this.lines.length },
      reason === 'backlog'
        ? `the disk is more than ${limit} behind the ${this.kind} event log: new events are dropped and counted until it catches up`
        : `${this.kind} events are dropped and counted: the event log cannot be written (${reason}) and ${limit} wait already`,
    );
  }
}
