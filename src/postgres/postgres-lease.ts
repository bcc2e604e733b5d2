import {
  CLOCK_SKEW_BOUND_MS,
  type HealthSnapshot,
  type LeaseReading,
} from '../rollout-plan/index.js';
import type { Rows } from './store-pool.js';

/** A time in ms since the epoch as ISO 8601 (how the store hands times to PostgreSQL). */
export const iso = (ms: number) => new Date(ms).toISOString();
const msOf = (value: unknown) => (value instanceof Date ? value.getTime() : Number.NaN);

/** The SQLSTATEs of the schema's refusals (src/postgres/migrations/0001-initial.sql). */
/** A write under a fencing token that is not the live lease's. */
export const STALE_TOKEN = 'ZF001';
/** Taking a lease that another holder still holds. */
export const LEASE_HELD = 'ZF002';
/** Two first inserts of one key at once. */
export const UNIQUE_VIOLATION = '23505';

/** The SQLSTATE of a server error (or a system error's code). */
export function sqlState(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

/** What the store reads of a `controller_lease` row. */
export const LEASE_COLUMNS =
  'fencing_token, holder, heartbeat_at, expires_at, holder_heartbeat_at, ttl_ms, released_by, health';

/**
 * The lease as a reader judges it on its own clock: the holder's heartbeat on the holder's
 * clock (`holder_heartbeat_at`), live until it plus the time to live, invalid when it lies
 * further ahead than that plus the clock-skew bound, exactly as the file lease judges it. A row
 * written by hand without the holder's clock is judged on the database's columns.
 */
export function leaseReadingOf(row: Rows[number] | undefined, now: number): LeaseReading {
  if (!row) return { state: 'free', token: 0 };
  const token = Number(row.fencing_token);
  if (row.holder === null) {
    return row.released_by === null
      ? { state: 'free', token }
      : { state: 'free', token, releasedBy: String(row.released_by) };
  }
  const holder = String(row.holder);
  const heartbeatAt = msOf(row.holder_heartbeat_at ?? row.heartbeat_at);
  const ttlMs =
    row.ttl_ms === null ? msOf(row.expires_at) - msOf(row.heartbeat_at) : Number(row.ttl_ms);
  if (heartbeatAt > now + ttlMs + CLOCK_SKEW_BOUND_MS) {
    const why = `its heartbeat ${iso(heartbeatAt)} lies further ahead than the lease's time to live (${ttlMs} ms) plus the clock-skew bound (${CLOCK_SKEW_BOUND_MS} ms): its holder's clock is wrong, or the row was edited`;
    return { state: 'invalid', token, holder, heartbeatAt, why };
  }
  const expiresAt = heartbeatAt + ttlMs;
  return {
    state: expiresAt > now ? 'live' : 'expired',
    token,
    holder,
    heartbeatAt,
    expiresAt,
    ...(row.health ? { health: row.health as HealthSnapshot } : {}),
  };
}

/** Lets a server error through unchanged, for the caller to interpret (a fencing refusal). */
export function passOn(code: string): (error: unknown) => Error | undefined {
  return (error) => (sqlState(error) === code ? (error as Error) : undefined);
}
