import { randomBytes } from 'node:crypto';
import { packageVersion } from '../package-version.js';
import {
  type AcknowledgementOptions,
  type Acknowledgements,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_STALE_AFTER_MS,
  type FleetInstance,
  type FleetMembership,
  type FleetStatus,
  fleetSkew,
  type InstanceSelf,
} from '../runtime-store/index.js';
import type { Rows, StorePool } from './store-pool.js';

/** How often a wait for acknowledgements looks at the instances. */
const ACK_POLL_MS = 20;
/** Stale instances older than this are history, not fleet: `fleet status` leaves them out. */
const FORGOTTEN_AFTER_S = 3_600;
/** Instances that said goodbye are shown this long after. */
const STOPPED_SHOWN_S = 600;

const isoOf = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

function instanceOf(row: Rows[number]): FleetInstance {
  return {
    id: String(row.instance_id),
    host: String(row.host),
    pid: Number(row.pid),
    flagrouteVersion: String(row.flagroute_version),
    listen: row.listen == null ? null : String(row.listen),
    configVersion: row.config_version == null ? null : String(row.config_version),
    runtimeVersion: row.runtime_version == null ? null : String(row.runtime_version),
    runtimeAppliedAt: row.runtime_applied_at == null ? null : isoOf(row.runtime_applied_at),
    startedAt: isoOf(row.started_at),
    lastSeen: isoOf(row.heartbeat_at),
    secondsSinceSeen: Math.max(0, Number(row.seconds_since_seen)),
    state: row.state as FleetInstance['state'],
  };
}

const byName = (a: FleetInstance, b: FleetInstance) =>
  a.host === b.host ? a.pid - b.pid : a.host < b.host ? -1 : 1;
const STATE_ORDER = { live: 0, stale: 1, stopped: 2 } as const;

/** The runtime version a process has applied, and a way to hear when it applies a new one. */
export interface AppliedRuntime {
  readonly applied: string | null;
  onApplied(hook: (version: string | null) => void): () => void;
}

/**
 * The fleet on PostgreSQL (`flagroute.instances`): heartbeats of serving instances, the
 * acknowledgements a runtime change waits for, and the fleet's status. Liveness is judged on
 * the database's clock (`heartbeat_at` is its `now()`), so the fleet's clocks need not agree.
 */
export class PostgresFleet {
  /** This process's memberships, stopped by {@link leave} if not before. */
  private readonly members = new Set<FleetMembership>();

  constructor(
    private readonly pool: StorePool,
    private readonly environment: string,
    private readonly location: string,
  ) {}

  /** See `FleetStore.joinFleet`. */
  join(self: InstanceSelf, runtime: AppliedRuntime, heartbeatMs = DEFAULT_HEARTBEAT_MS) {
    const id = `${self.host}:${self.pid}:${randomBytes(4).toString('hex')}`;
    let stopped = false;
    // One write at a time, in order: a heartbeat never overtakes a newer acknowledgement.
    let writing: Promise<void> = Promise.resolve();
    const write = (sql: string, params: unknown[]) => {
      writing = writing
        .then(() => this.pool.query(sql, params).then(() => undefined))
        .catch(
          () => undefined, // the next heartbeat tries again; the store's health says it is away
        );
      return writing;
    };
    const beat = () =>
      write(
        `INSERT INTO flagroute.instances AS i (instance_id, environment, host, pid,
           flagroute_version, listen, config_version, runtime_version, runtime_applied_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8::bigint IS NULL THEN NULL ELSE now() END)
         ON CONFLICT (instance_id) DO UPDATE
            SET heartbeat_at = now(), config_version = EXCLUDED.config_version,
                listen = EXCLUDED.listen, stopped_at = NULL,
                runtime_applied_at = CASE
                  WHEN EXCLUDED.runtime_version IS NOT NULL
                   AND EXCLUDED.runtime_version IS DISTINCT FROM i.runtime_version
                  THEN now() ELSE i.runtime_applied_at END,
                runtime_version = coalesce(EXCLUDED.runtime_version, i.runtime_version)`,
        [
          id,
          this.environment,
          self.host,
          self.pid,
          packageVersion(),
          self.listen ?? null,
          self.configVersion(),
          runtime.applied,
        ],
      );
    void beat();
    const timer = setInterval(() => void beat(), heartbeatMs);
    timer.unref();
    const unhook = runtime.onApplied(() => {
      if (!stopped) void beat();
    });
    const membership: FleetMembership = {
      instanceId: id,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        this.members.delete(membership);
        clearInterval(timer);
        unhook();
        await write(
          'UPDATE flagroute.instances SET stopped_at = now(), heartbeat_at = now() WHERE instance_id = $1',
          [id],
        );
      },
    };
    this.members.add(membership);
    return membership;
  }

  /** Stops every membership of this process (the store is closing). */
  async leave(): Promise<void> {
    await Promise.all([...this.members].map((member) => member.stop()));
  }

  /** The instances of the environment worth showing, and the store's runtime version. */
  private async read(
    staleAfterMs: number,
  ): Promise<{ runtimeVersion: string | null; instances: FleetInstance[] }> {
    const rows = await this.pool.query(
      `WITH runtime AS (SELECT version FROM flagroute.runtime_state WHERE environment = $1)
       SELECT i.*, extract(epoch FROM now() - i.heartbeat_at) AS seconds_since_seen,
              CASE WHEN i.stopped_at IS NOT NULL THEN 'stopped'
                   WHEN i.heartbeat_at > now() - make_interval(secs => $2::double precision / 1000)
                   THEN 'live' ELSE 'stale' END AS state,
              (SELECT version FROM runtime) AS current_runtime
         FROM (SELECT 1) AS one
         LEFT JOIN flagroute.instances AS i
           ON i.environment = $1
          AND i.heartbeat_at > now() - make_interval(secs => $3)
          AND (i.stopped_at IS NULL OR i.stopped_at > now() - make_interval(secs => $4))`,
      [this.environment, staleAfterMs, FORGOTTEN_AFTER_S, STOPPED_SHOWN_S],
    );
    const current = rows[0]?.current_runtime;
    const instances = rows
      .filter((row) => row.instance_id != null)
      .map(instanceOf)
      .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || byName(a, b));
    return { runtimeVersion: current == null ? null : String(current), instances };
  }

  /** See `FleetStore.fleetStatus`. */
  async status(options: { staleAfterMs?: number } = {}): Promise<FleetStatus> {
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    const { runtimeVersion, instances } = await this.read(staleAfterMs);
    return {
      environment: this.environment,
      store: this.location,
      runtimeVersion,
      staleAfterMs,
      instances,
      skew: fleetSkew(instances, runtimeVersion),
    };
  }

  /** See `FleetStore.awaitAcknowledgements`. */
  async awaitAcknowledgements(options: AcknowledgementOptions = {}): Promise<Acknowledgements> {
    const deadlineMs = options.deadlineMs ?? DEFAULT_ACK_WAIT_MS;
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    const started = Date.now();
    let version: bigint | undefined;
    for (;;) {
      const seen = await this.read(staleAfterMs);
      version ??= BigInt(seen.runtimeVersion ?? '0');
      const target = version;
      const live = seen.instances.filter((each) => each.state === 'live');
      const applied = (each: FleetInstance) =>
        each.runtimeVersion !== null && BigInt(each.runtimeVersion) >= target;
      const waitedMs = Date.now() - started;
      const missing = live.filter((each) => !applied(each));
      if (missing.length === 0 || waitedMs >= deadlineMs) {
        return {
          version: String(target),
          live,
          acknowledged: live.filter(applied),
          missing,
          waitedMs,
          deadlineMs,
        };
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(ACK_POLL_MS, deadlineMs - waitedMs)),
      );
    }
  }
}
