import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { FlagrouteError } from '../errors.js';
import { killSwitchHolds, type RuntimeChange, type RuntimeState } from '../rollout-layers/index.js';
import type { LeaseGrant } from '../rollout-plan/index.js';
import type {
  AcknowledgementOptions,
  Acknowledgements,
  FleetMembership,
  FleetStatus,
  FleetStore,
  InstanceSelf,
  RuntimeStore,
  StoreChange,
  StoreHealth,
  StoreWithHealth,
} from '../runtime-store/index.js';
import { connectPostgres, DEFAULT_QUERY_TIMEOUT_MS } from './connection.js';
import { migrateSchema } from './migrate-schema.js';
import { PostgresFleet } from './postgres-fleet.js';
import { passOn } from './postgres-lease.js';
import { PostgresPlanStore } from './postgres-plan-store.js';
import { RUNTIME_COLUMNS, runtimeStateOf } from './runtime-rows.js';
import { StorePool, type Transaction } from './store-pool.js';
import { parsePostgresUrl } from './store-url.js';
import { type StoreVersions, StoreWatch } from './store-watch.js';

/** How often a subscription looks at the store without a notification, by default. */
export const DEFAULT_POLL_MS = 2_000;

/** Options of {@link PostgresRuntimeStore.open}. */
export interface PostgresRuntimeStoreOptions {
  /** The store: `postgres://user:password@host:5432/database`. */
  url: string;
  environment: string;
  /** Where the URL came from, for errors (`--store`, `FLAGROUTE_STORE`). */
  source?: string;
  /** Bring the schema up to date at open (under the migration lock). Default true. */
  migrate?: boolean;
  /** How often a subscription looks without a notification. Default {@link DEFAULT_POLL_MS}. */
  pollMs?: number;
  /** Who writes, as recorded in `changed_by` and `requested_by`. Default `host pid N`. */
  actor?: string;
  connectTimeoutMs?: number;
  /**
   * How long one statement of its reads and writes may take before it fails (a hung server).
   * Default {@link DEFAULT_QUERY_TIMEOUT_MS}; migration at open has no such deadline.
   */
  queryTimeoutMs?: number;
  /** Told of the migrations applied at open, and once each when its subscriptions lose and regain the store. */
  logger?: Logger;
}

/**
 * The fleet's runtime store on PostgreSQL: every instance, CLI and controller that opens it
 * shares one runtime layer and kill switch (`runtime_state`), one plan state, lease and command
 * queue ({@link PostgresPlanStore}), and hears every change at once (`LISTEN`/`NOTIFY`, with a
 * poll as the safety net). Passes the same conformance suite as the file store. node-postgres
 * is loaded when the first store opens.
 */
export class PostgresRuntimeStore
  extends PostgresPlanStore
  implements RuntimeStore, StoreWithHealth, FleetStore
{
  readonly runtimeLocation: string;
  private readonly watch: StoreWatch;
  private readonly fleet: PostgresFleet;

  private constructor(
    private readonly storePool: StorePool,
    environment: string,
    location: string,
    private readonly writer: string,
    pollMs: number,
    logger: Logger | undefined,
  ) {
    super(storePool, environment, location, writer);
    this.runtimeLocation = location;
    this.watch = new StoreWatch({
      target: storePool.target,
      environment,
      pollMs,
      look: () => this.versions(),
      ...(logger ? { logger } : {}),
    });
    this.fleet = new PostgresFleet(storePool, environment, location);
  }

  /**
   * Opens the store of `environment` at `url`: connects, brings the schema up to date unless
   * told not to (a schema newer than this flagroute knows is refused, `STORE_SCHEMA_MISMATCH`),
   * and is ready for reads and writes. Errors are `StoreError`s, never with the password.
   */
  static async open(options: PostgresRuntimeStoreOptions): Promise<PostgresRuntimeStore> {
    const target = parsePostgresUrl(options.url, options.source ?? 'store URL');
    const connect = {
      applicationName: 'flagroute',
      ...(options.connectTimeoutMs === undefined
        ? {}
        : { connectTimeoutMs: options.connectTimeoutMs }),
    };
    if (options.migrate ?? true) {
      const client = await connectPostgres(target, connect);
      try {
        await migrateSchema(client, target, options.logger ? { logger: options.logger } : {});
      } finally {
        await client.end().catch(() => {});
      }
    }
    const pool = await StorePool.open(target, {
      ...connect,
      queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    });
    return new PostgresRuntimeStore(
      pool,
      options.environment,
      `PostgreSQL ${target.description}`,
      options.actor ?? `${hostname()} pid ${process.pid}`,
      options.pollMs ?? DEFAULT_POLL_MS,
      options.logger,
    );
  }

  async readRuntime(): Promise<RuntimeState> {
    const rows = await this.storePool.query(
      `SELECT ${RUNTIME_COLUMNS} FROM flagroute.runtime_state WHERE environment = $1`,
      [this.environment],
    );
    return runtimeStateOf(rows[0]);
  }

  async updateRuntime(
    change: RuntimeChange,
    fence?: LeaseGrant,
  ): Promise<{ before: RuntimeState; after: RuntimeState }> {
    const write = () =>
      this.storePool.transaction((session) => this.change(session, change, fence), passOn('ZF001'));
    const attempt = fence ? () => this.fenced(fence, write) : write;
    try {
      return await attempt();
    } catch (error) {
      // Two first writes of the environment at once: the row exists now; change it.
      if ((error as { reason?: unknown }).reason !== '23505') throw error;
      return attempt();
    }
  }

  private async change(
    session: Transaction,
    change: RuntimeChange,
    fence: LeaseGrant | undefined,
  ): Promise<{ before: RuntimeState; after: RuntimeState }> {
    const [row] = await session.query(
      `SELECT ${RUNTIME_COLUMNS} FROM flagroute.runtime_state WHERE environment = $1 FOR UPDATE`,
      [this.environment],
    );
    const before = runtimeStateOf(row);
    if (change.unlessKillSwitch && before.killSwitch) {
      throw new FlagrouteError(
        'KILL_SWITCH_ENGAGED',
        `${killSwitchHolds(before.killSwitch)}; the rollout was not changed`,
      );
    }
    const runtime = change.runtime === undefined ? before.runtime : change.runtime;
    // An engaged kill switch is kept as first written.
    const killSwitch =
      change.killSwitch === undefined
        ? before.killSwitch
        : change.killSwitch && (before.killSwitch ?? change.killSwitch);
    const values = [
      this.environment,
      runtime?.percentage ?? null,
      runtime?.setBy ?? null,
      runtime?.reason ?? null,
      runtime?.at ?? null,
      killSwitch !== null,
      killSwitch?.trigger ?? null,
      killSwitch?.reason ?? null,
      killSwitch?.at ?? null,
      killSwitch?.previousPercentage ?? null,
      this.writer,
      fence?.token ?? null,
      runtime?.shadowPercentage ?? null,
    ];
    const [written] = await session.query(
      row
        ? `UPDATE flagroute.runtime_state
              SET rollout_percentage = $2, rollout_origin = $3, rollout_reason = $4,
                  rollout_set_at = $5, kill_switch = $6, kill_switch_trigger = $7,
                  kill_switch_reason = $8, kill_switch_at = $9,
                  kill_switch_previous_percentage = $10, changed_by = $11, fencing_token = $12,
                  shadow_percentage = $13
            WHERE environment = $1 RETURNING ${RUNTIME_COLUMNS}`
        : `INSERT INTO flagroute.runtime_state (environment, rollout_percentage, rollout_origin,
             rollout_reason, rollout_set_at, kill_switch, kill_switch_trigger, kill_switch_reason,
             kill_switch_at, kill_switch_previous_percentage, changed_by, fencing_token,
             shadow_percentage)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${RUNTIME_COLUMNS}`,
      values,
    );
    return { before, after: runtimeStateOf(written) };
  }

  /** The runtime version and state, the plan state's version and the newest command's id. */
  private async versions(): Promise<StoreVersions> {
    const [row] = await this.storePool.query(
      `SELECT r.*, (SELECT version FROM flagroute.plan_state WHERE environment = $1) AS plan,
              (SELECT max(id) FROM flagroute.plan_commands WHERE environment = $1) AS commands
         FROM (SELECT $1::text AS environment) AS e
         LEFT JOIN flagroute.runtime_state AS r USING (environment)`,
      [this.environment],
    );
    return {
      runtime: row?.version == null ? null : String(row.version),
      state: row?.version == null ? runtimeStateOf(undefined) : runtimeStateOf(row),
      plan: row?.plan == null ? null : String(row.plan),
      commands: row?.commands == null ? null : String(row.commands),
    };
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    return this.watch.add(listener);
  }

  subscribeRuntime(listener: (state: RuntimeState) => void): () => void {
    return this.watch.add((change) => {
      if (change.kind === 'runtime') listener(change.state);
    });
  }

  /** Whether its subscriptions listen now (and have read the store once). */
  get watching(): boolean {
    return this.watch.listening;
  }

  /** The last look of a subscription failed (the store is unreachable): what it said. */
  get watchError(): unknown {
    return this.watch.lastError;
  }

  /**
   * Degraded while its subscriptions cannot read the store (they retry: every poll, and the
   * listening session with backoff); the process serves the runtime state read last.
   */
  health(): StoreHealth {
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const error = this.watch.lastError as { code?: unknown } | undefined;
    return {
      status: this.watch.failingSince === undefined ? 'ok' : 'degraded',
      store: this.location,
      since: iso(this.watch.failingSince),
      stateReadAt: iso(this.watch.lastReadAt),
      reason:
        error === undefined
          ? null
          : typeof error.code === 'string'
            ? error.code
            : 'STORE_UNAVAILABLE',
      failures: this.watch.failures,
    };
  }

  /** See `FleetStore.joinFleet`: it acknowledges what this store's subscribers were told. */
  joinFleet(self: InstanceSelf, options: { heartbeatMs?: number } = {}): FleetMembership {
    return this.fleet.join(self, this.watch, options.heartbeatMs);
  }

  awaitAcknowledgements(options?: AcknowledgementOptions): Promise<Acknowledgements> {
    return this.fleet.awaitAcknowledgements(options);
  }

  fleetStatus(options?: { staleAfterMs?: number }): Promise<FleetStatus> {
    return this.fleet.status(options);
  }

  async close(): Promise<void> {
    await this.fleet.leave();
    this.watch.stop();
    await this.storePool.end();
  }
}
