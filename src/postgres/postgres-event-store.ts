import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { FlagrouteError, StoreError } from '../errors.js';
import { defaultInstance } from '../event-log/index.js';
import {
  type ExposureEvent,
  type OutcomeEvent,
  type OutcomeStore,
  outcomeKey,
  type StoredOutcome,
} from '../outcomes/index.js';
import { RetryPause } from '../retry-pause.js';
import { DEFAULT_QUERY_TIMEOUT_MS } from './connection.js';
import {
  exposureParameters,
  INSERT_EXPOSURES,
  INSERT_OUTCOMES,
  outcomeParameters,
} from './event-rows.js';
import { type EventStoreHealth, EventStoreTracker } from './event-store-health.js';
import { StorePool } from './store-pool.js';
import { parsePostgresUrl } from './store-url.js';

/** Options of {@link PostgresEventStore.open}. */
export interface PostgresEventStoreOptions {
  url: string;
  environment: string;
  /** This instance's name in the rows (`instance_id`). Default host name and pid. */
  instance?: string;
  /** Rows waiting for the database beyond which outcomes are refused and exposures dropped. Default 50,000. */
  maxWaiting?: number;
  /** Rows per statement. Default 5,000. */
  maxBatch?: number;
  logger?: Logger;
  clock?: Clock;
  /** Give up connecting after this long (a request waits on it). Default 5 s. */
  connectTimeoutMs?: number;
  /** Fail a statement after this long (a hung server; a request waits on it). Default {@link DEFAULT_QUERY_TIMEOUT_MS}. */
  queryTimeoutMs?: number;
}

/** Rows of one kind waiting for one statement, and who waits for them. */
interface Pending<Row> {
  rows: Row[];
  /** A request waiting for its outcomes: resolved with the ids written. Absent: background. */
  done?: { resolve(ids: ReadonlySet<string>): void; reject(error: Error): void };
}

/**
 * The experiment's events in the fleet's database: outcomes and exposures written in batches
 * (one `INSERT ... SELECT FROM unnest(...)` per batch, whatever its size). An outcome posted
 * to an instance is written before it is answered: the outcome table's key (the decision id)
 * refuses a replay sent to any instance, and concurrent requests share a statement (one in
 * flight at a time; what comes meanwhile goes in the next). Exposures and outcomes recorded in
 * process go in the background. Nothing is dropped silently: beyond `maxWaiting` rows waiting,
 * a request is refused (503 `EVENTS_BACKLOGGED`, so its client retries) and a background row
 * is dropped; each is counted, logged once per episode and shown in `health()` (`/readyz`).
 * A failing database is retried with a doubling pause; requests meanwhile get its error.
 */
export class PostgresEventStore implements OutcomeStore {
  readonly kind = 'store';
  private readonly outcomes: Pending<StoredOutcome>[] = [];
  private readonly exposures: Pending<ExposureEvent>[] = [];
  private waitingRows = 0;
  private writing: Promise<void> | undefined;
  private readonly retryPause = new RetryPause();
  private closed = false;
  private readonly tracker: EventStoreTracker;

  private constructor(
    private readonly pool: StorePool,
    private readonly environment: string,
    readonly instance: string,
    private readonly maxWaiting: number,
    private readonly maxBatch: number,
    private readonly logger: Logger | undefined,
    clock: Clock,
  ) {
    this.tracker = new EventStoreTracker(maxWaiting, logger, clock);
  }

  /** Connects (lazily: the first batch connects) to the store of `url`; it must be migrated. */
  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const target = parsePostgresUrl(options.url, 'store URL');
    const pool = await StorePool.open(target, {
      applicationName: 'flagroute events',
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    });
    return new PostgresEventStore(
      pool,
      options.environment,
      options.instance ?? defaultInstance(),
      options.maxWaiting ?? 50_000,
      options.maxBatch ?? 5_000,
      options.logger,
      options.clock ?? systemClock,
    );
  }

  keep(outcomes: readonly StoredOutcome[]): Promise<ReadonlySet<string>> {
    if (outcomes.length === 0) return Promise.resolve(new Set());
    if (this.closed) {
      return Promise.reject(new StoreError('STORE_UNAVAILABLE', 'the event store is closing'));
    }
    if (!this.admits(outcomes.length)) {
      this.tracker.refused('store_behind');
      return Promise.reject(
        new FlagrouteError(
          'EVENTS_BACKLOGGED',
          `the event store is ${this.waitingRows} events behind (limit ${this.maxWaiting}); nothing was recorded, send the outcomes again shortly`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.enqueue(this.outcomes, { rows: [...outcomes], done: { resolve, reject } });
    });
  }

  /** Writes an outcome recorded in process, in the background (its decision id is its key, or a new one). */
  write(event: OutcomeEvent): void {
    const row: StoredOutcome = { decisionId: outcomeKey(event.decisionId), event };
    if (this.take(1)) this.enqueue(this.outcomes, { rows: [row] });
  }

  writeExposure(event: ExposureEvent): void {
    if (this.take(1)) this.enqueue(this.exposures, { rows: [event] });
  }

  admits(count: number): boolean {
    const fits = this.waitingRows === 0 || this.waitingRows + count <= this.maxWaiting;
    this.tracker.behind(this.waitingRows, !fits);
    return fits;
  }

  health(): EventStoreHealth {
    return this.tracker.health(this.waitingRows);
  }

  /** Writes what waits (one last try), then closes the connections; what is left is counted. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retryPause.cancel();
    await this.writing;
    if (this.waitingRows > 0) await this.drain().catch(() => undefined);
    const left = this.waitingRows;
    if (left > 0) {
      this.logger?.error(
        { events: left },
        `${left} events could not be written to the event store before it closed; they are lost`,
      );
      this.tracker.dropped(this.tracker.failing ?? 'closed', left);
      for (const queue of [this.outcomes, this.exposures]) {
        for (const pending of queue.splice(0))
          pending.done?.reject(new StoreError('STORE_UNAVAILABLE', 'the event store closed'));
      }
      this.waitingRows = 0;
    }
    await this.pool.end();
  }

  /** Room for `count` background rows; otherwise they are dropped and counted. */
  private take(count: number): boolean {
    if (!this.closed && this.admits(count)) return true;
    this.tracker.dropped(this.closed ? 'closed' : 'backlog', count);
    return false;
  }

  private enqueue<Row>(queue: Pending<Row>[], pending: Pending<Row>): void {
    queue.push(pending);
    this.waitingRows += pending.rows.length;
    this.kick();
  }

  private kick(): void {
    if (this.writing || this.retryPause.waiting) return;
    this.writing = this.drain()
      .catch((error: unknown) => this.failed(error))
      .finally(() => {
        this.writing = undefined;
        if (this.waitingRows > 0 && !this.retryPause.waiting && !this.closed) this.kick();
      });
  }

  /** Writes batches until nothing waits; a failure rejects the requests of its batch and keeps the background rows. */
  private async drain(): Promise<void> {
    while (this.outcomes.length > 0 || this.exposures.length > 0) {
      if (this.outcomes.length > 0)
        await this.writeBatch(this.outcomes, (rows) => this.insertOutcomes(rows));
      if (this.exposures.length > 0)
        await this.writeBatch(this.exposures, async (rows) => {
          await this.pool.query(
            INSERT_EXPOSURES,
            exposureParameters(rows, this.environment, this.instance),
          );
          return undefined;
        });
      this.recovered();
    }
  }

  private async insertOutcomes(rows: StoredOutcome[]): Promise<ReadonlySet<string>> {
    // A decision id twice in one statement: the first row is the one written.
    const first = new Map<string, StoredOutcome>();
    for (const row of rows) if (!first.has(row.decisionId)) first.set(row.decisionId, row);
    const result = await this.pool.query(
      INSERT_OUTCOMES,
      outcomeParameters([...first.values()], this.environment, this.instance),
    );
    return new Set(result.map((row) => String(row.decision_id)));
  }

  private async writeBatch<Row>(
    queue: Pending<Row>[],
    insert: (rows: Row[]) => Promise<ReadonlySet<string> | undefined>,
  ): Promise<void> {
    const batch: Pending<Row>[] = [];
    let size = 0;
    while (
      queue.length > 0 &&
      (batch.length === 0 || size + queue[0]!.rows.length <= this.maxBatch)
    ) {
      const next = queue.shift()!;
      batch.push(next);
      size += next.rows.length;
    }
    let fresh: ReadonlySet<string> | undefined;
    try {
      fresh = await insert(batch.flatMap((pending) => pending.rows));
    } catch (error) {
      const background = batch.filter((pending) => !pending.done);
      const requests = batch.filter((pending) => pending.done);
      queue.unshift(...background);
      this.waitingRows -= requests.reduce((sum, pending) => sum + pending.rows.length, 0);
      for (const pending of requests) pending.done!.reject(this.tracker.refusal(error));
      throw error;
    }
    this.waitingRows -= size;
    this.tracker.written += fresh ? fresh.size : size;
    if (this.waitingRows < this.maxWaiting) this.tracker.behind(this.waitingRows, false);
    const claimed = new Set<string>();
    for (const pending of batch) {
      if (!pending.done || !fresh) continue;
      // Each id goes to the first request that named it; a later one in the batch is its replay.
      const mine = new Set<string>();
      for (const row of pending.rows as StoredOutcome[]) {
        if (fresh.has(row.decisionId) && !claimed.has(row.decisionId)) {
          claimed.add(row.decisionId);
          mine.add(row.decisionId);
        }
      }
      pending.done.resolve(mine);
    }
  }

  private failed(error: unknown): void {
    this.tracker.failed(error, this.waitingRows);
    if (this.closed || this.waitingRows === 0) return;
    this.retryPause.schedule(() => this.kick());
  }

  private recovered(): void {
    this.retryPause.succeeded();
    this.tracker.recovered();
  }
}
