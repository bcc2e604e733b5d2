import type { Pool, PoolClient } from 'pg';
import { FlagrouteError } from '../errors.js';
import { clientConfig, loadNodePostgres } from './connection.js';
import { storeErrorOf } from './store-errors.js';
import type { PostgresTarget } from './store-url.js';

/** One statement's rows, as the runtime store reads them. */
export type Rows = Record<string, unknown>[];

/** A session inside a transaction: statements run in order, errors are the server's own. */
export interface Transaction {
  query(sql: string, params?: unknown[]): Promise<Rows>;
}

/**
 * The connections a runtime store uses: a small pool for its reads and writes, and
 * transactions that give back the connection whatever happens. Errors that are not the
 * caller's to interpret (a lost connection, a refused login) come out as `StoreError`s.
 */
export class StorePool {
  private constructor(
    readonly target: PostgresTarget,
    private readonly pool: Pool,
  ) {}

  /** Options as `connectPostgres` takes them (spelt out: its module names node-postgres). */
  static async open(
    target: PostgresTarget,
    options: { connectTimeoutMs?: number; applicationName?: string; queryTimeoutMs?: number } = {},
  ): Promise<StorePool> {
    const pg = await loadNodePostgres();
    const pool = new pg.Pool({ ...clientConfig(target, options), max: 4 });
    // An idle connection that the server drops: the next query fails or gets a new one.
    pool.on('error', () => {});
    return new StorePool(target, pool);
  }

  /** One statement outside a transaction. */
  async query(sql: string, params: unknown[] = []): Promise<Rows> {
    try {
      return (await this.pool.query(sql, params)).rows as Rows;
    } catch (error) {
      throw storeErrorOf(error, this.target);
    }
  }

  /**
   * Runs `work` in a transaction and commits; rolls back on any error. `interpret` turns a
   * server error that means something to the caller (a fencing refusal) into its own error;
   * every other error becomes a `StoreError`.
   */
  async transaction<T>(
    work: (session: Transaction) => Promise<T>,
    interpret: (error: unknown) => Error | undefined = () => undefined,
  ): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeErrorOf(error, this.target);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async (sql, params = []) => (await client.query(sql, params)).rows as Rows,
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A statement past its deadline still occupies the connection (a hung server has not
      // answered it): a ROLLBACK would queue behind it. Dropping the connection rolls back.
      if (isReadTimeout(error)) broken = error;
      else
        await client.query('ROLLBACK').catch((lost: unknown) => {
          broken = lost;
        });
      if (error instanceof FlagrouteError) throw error; // the work's own refusal
      throw interpret(error) ?? storeErrorOf(error, this.target);
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** Closes every connection. */
  async end(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** node-postgres's own error for a statement past `query_timeout` (it has no code). */
function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}
