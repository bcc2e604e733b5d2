import { FlagrouteError } from '../errors.js';
import {
  type CommandOutcome,
  type Fault,
  FaultError,
  type HealthSnapshot,
  isPlanState,
  type LeaseAcquired,
  type LeaseGrant,
  type LeaseReading,
  PLAN_ACTIONS,
  type PlanCommand,
  type PlanState,
  type PlanStore,
  pendingState,
  type QueuedCommand,
  type StateReading,
} from '../rollout-plan/index.js';
import {
  iso,
  LEASE_COLUMNS,
  LEASE_HELD,
  leaseReadingOf,
  passOn,
  STALE_TOKEN,
  sqlState,
  UNIQUE_VIOLATION,
} from './postgres-lease.js';
import type { StorePool, Transaction } from './store-pool.js';

/** Plan state generations are the row's version, padded so that they sort as numbers. */
const generationOf = (version: unknown) => String(version).padStart(12, '0');

/**
 * The plan part of the PostgreSQL runtime store: the controller lease (`controller_lease`, its
 * fencing token checked by the database in every write of a controller), the plan's state
 * (`plan_state`) and queued commands (`plan_commands`), behaving as `FilePlanStore` does.
 */
export class PostgresPlanStore implements PlanStore {
  constructor(
    private readonly pool: StorePool,
    readonly environment: string,
    readonly location: string,
    /** Who queues commands, as recorded (`host pid`). */
    private readonly actor: string,
  ) {}

  async readLease(now: number): Promise<LeaseReading> {
    const rows = await this.pool.query(
      `SELECT ${LEASE_COLUMNS} FROM flagroute.controller_lease WHERE environment = $1`,
      [this.environment],
    );
    return leaseReadingOf(rows[0], now);
  }

  acquireLease(holder: string, now: number, ttlMs: number): Promise<LeaseAcquired> {
    const conflict = (why: string) =>
      new FlagrouteError('PLAN_CONFLICT', `another controller drives ${this.environment}: ${why}`);
    return this.pool.transaction(
      async (session) => {
        // The takeover check of the schema judges the lease on this clock, as the store does.
        await session.query("SELECT set_config('flagroute.now', $1, true)", [iso(now)]);
        const [row] = await session.query(
          `SELECT ${LEASE_COLUMNS} FROM flagroute.controller_lease WHERE environment = $1 FOR UPDATE`,
          [this.environment],
        );
        const previous = leaseReadingOf(row, now);
        if (previous.state === 'live' && previous.holder !== holder) {
          throw conflict(
            `${previous.holder}, last heartbeat ${iso(previous.heartbeatAt)}, lease until ${iso(previous.expiresAt)}; stop it, or wait for its lease to expire`,
          );
        }
        const values = [this.environment, holder, iso(now), ttlMs];
        const [taken] = row
          ? await session.query(
              `UPDATE flagroute.controller_lease
                  SET holder = $2, fencing_token = fencing_token + 1, heartbeat_at = now(),
                      expires_at = now() + make_interval(secs => $4 / 1000.0),
                      holder_heartbeat_at = $3, ttl_ms = $4, released_by = NULL, health = NULL
                WHERE environment = $1 RETURNING fencing_token`,
              values,
            )
          : await session.query(
              `INSERT INTO flagroute.controller_lease
                 (environment, holder, heartbeat_at, expires_at, holder_heartbeat_at, ttl_ms)
               VALUES ($1, $2, now(), now() + make_interval(secs => $4 / 1000.0), $3, $4)
               RETURNING fencing_token`,
              values,
            );
        return { grant: { token: Number(taken!.fencing_token), holder, ttlMs }, previous };
      },
      (error) => {
        if (sqlState(error) === UNIQUE_VIOLATION) {
          return conflict('another controller took the lease at the same moment');
        }
        if (sqlState(error) === LEASE_HELD) return conflict((error as Error).message);
        return undefined;
      },
    );
  }

  renewLease(grant: LeaseGrant, now: number, health?: HealthSnapshot): Promise<Fault[]> {
    return this.pool.transaction(async (session) => {
      await this.holding(session, grant, 'FOR UPDATE');
      await session.query(
        `UPDATE flagroute.controller_lease
            SET heartbeat_at = now(), expires_at = now() + make_interval(secs => $3 / 1000.0),
                holder_heartbeat_at = $2, health = $4
          WHERE environment = $1`,
        [this.environment, iso(now), grant.ttlMs, health ?? null],
      );
      return [];
    });
  }

  async checkLease(grant: LeaseGrant): Promise<void> {
    await this.holding(this.pool, grant, '');
  }

  async releaseLease(grant: LeaseGrant, _now: number): Promise<void> {
    await this.pool.query(
      `UPDATE flagroute.controller_lease
          SET holder = NULL, acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL,
              holder_heartbeat_at = NULL, ttl_ms = NULL, health = NULL, released_by = $3
        WHERE environment = $1 AND fencing_token = $2 AND holder = $3`,
      [this.environment, grant.token, grant.holder],
    );
  }

  /** Throws a `lease_lost` fault unless `grant` is the lease's current holder and token. */
  private async holding(
    session: Pick<Transaction, 'query'>,
    grant: LeaseGrant,
    lock: '' | 'FOR UPDATE',
  ): Promise<void> {
    const [row] = await session.query(
      `SELECT fencing_token, holder, released_by FROM flagroute.controller_lease
        WHERE environment = $1 ${lock}`,
      [this.environment],
    );
    const token = Number(row?.fencing_token ?? 0);
    if (row && token === grant.token && row.holder === grant.holder) return;
    const who =
      row?.holder != null
        ? String(row.holder)
        : `nobody (released by ${String(row?.released_by ?? 'its holder')})`;
    throw new FaultError({
      reason: 'lease_lost',
      message: `another controller drives ${this.environment}: ${who} holds lease generation ${token} (this controller held ${grant.token}); it stands by and does not act`,
    });
  }

  /**
   * Runs a controller's write; a refusal of its fencing token by the database becomes the
   * `lease_lost` fault that names who holds the lease now.
   */
  async fenced<T>(grant: LeaseGrant, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (sqlState(error) !== STALE_TOKEN) throw error;
      await this.checkLease(grant);
      throw new FaultError({
        reason: 'lease_lost',
        message: `the lease of ${this.environment} (generation ${grant.token}, ${grant.holder}) ran out on the database's clock before this write; it is renewed or taken over at the next look`,
      });
    }
  }

  async readState(): Promise<StateReading> {
    const [row] = await this.pool.query(
      'SELECT version, state FROM flagroute.plan_state WHERE environment = $1',
      [this.environment],
    );
    const pending = pendingState(this.environment);
    if (!row) return { state: pending, generation: null, problems: [], unreadable: [] };
    const generation = generationOf(row.version);
    if (isPlanState(row.state) && row.state.environment === this.environment) {
      return { state: row.state, generation, problems: [], unreadable: [] };
    }
    return {
      state: pending,
      generation: null,
      unreadable: [generation],
      problems: [
        {
          reason: 'state_unreadable',
          message: `the plan state of ${this.environment} in ${this.location} (version ${Number(row.version)}) is not one this flagroute can read; set it aside to start again`,
        },
      ],
    };
  }

  writeState(state: PlanState, grant: LeaseGrant): Promise<string> {
    return this.fenced(grant, async () => {
      const [row] = await this.pool.transaction(
        (session) =>
          session.query(
            `INSERT INTO flagroute.plan_state (environment, state, fencing_token)
             VALUES ($1, $2, $3)
             ON CONFLICT (environment)
             DO UPDATE SET state = excluded.state, fencing_token = excluded.fencing_token
             RETURNING version`,
            [this.environment, state, grant.token],
          ),
        passOn(STALE_TOKEN),
      );
      return generationOf(row!.version);
    });
  }

  async setAsideState(generation: string): Promise<string> {
    const version = Number(generation);
    await this.pool.transaction(async (session) => {
      await session.query(
        `INSERT INTO flagroute.plan_state_set_aside
           (environment, version, state, fencing_token, changed_at)
         SELECT environment, version, state, fencing_token, changed_at
           FROM flagroute.plan_state WHERE environment = $1 AND version = $2`,
        [this.environment, version],
      );
      await session.query(
        'DELETE FROM flagroute.plan_state WHERE environment = $1 AND version = $2',
        [this.environment, version],
      );
    });
    return `flagroute.plan_state_set_aside (${this.environment}, version ${version}) in ${this.location}`;
  }

  async enqueueCommand(command: PlanCommand, _now: number): Promise<string> {
    const [row] = await this.pool.query(
      `INSERT INTO flagroute.plan_commands (environment, action, reason, requested_by)
       VALUES ($1, $2, $3, $4) RETURNING id`,
      [this.environment, command.action, command.reason, this.actor],
    );
    return String(row!.id);
  }

  /**
   * Takes the queued commands in one statement (`FOR UPDATE SKIP LOCKED`: never twice). With a
   * grant, each row taken carries its fencing token, which the database checks (`ZF001`).
   */
  takeCommands(grant?: LeaseGrant): Promise<{ commands: QueuedCommand[]; problems: Fault[] }> {
    const take = () =>
      this.pool.transaction(async (session) => {
        const taken = await session.query(
          `UPDATE flagroute.plan_commands SET taken_at = now(), fencing_token = $2
          WHERE id IN (SELECT id FROM flagroute.plan_commands
                        WHERE environment = $1 AND taken_at IS NULL
                        ORDER BY id FOR UPDATE SKIP LOCKED)
          RETURNING id, action, reason`,
          [this.environment, grant?.token ?? null],
        );
        const commands: QueuedCommand[] = [];
        const problems: Fault[] = [];
        for (const row of taken.sort((a, b) => Number(a.id) - Number(b.id))) {
          const id = String(row.id);
          const action = String(row.action);
          if ((PLAN_ACTIONS as readonly string[]).includes(action)) {
            commands.push({
              id,
              command: { action: action as PlanCommand['action'], reason: String(row.reason) },
            });
            continue;
          }
          const message = `the queued plan command ${id} in ${this.location} asks for "${action}", which this flagroute does not know (${PLAN_ACTIONS.join(', ')}); not applied: queue it again`;
          await session.query('UPDATE flagroute.plan_commands SET result = $2 WHERE id = $1', [
            id,
            { ok: false, code: 'INVALID_PLAN', message, holder: this.actor },
          ]);
          problems.push({ reason: 'command_unreadable', message });
        }
        return { commands, problems };
      }, passOn(STALE_TOKEN));
    return grant ? this.fenced(grant, take) : take();
  }

  async acknowledgeCommand(id: string, outcome: CommandOutcome): Promise<void> {
    if (!/^\d+$/.test(id)) return;
    await this.pool.query(
      'UPDATE flagroute.plan_commands SET result = $3 WHERE environment = $1 AND id = $2',
      [this.environment, id, outcome],
    );
  }

  async commandOutcome(id: string): Promise<CommandOutcome | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    const [row] = await this.pool.query(
      `UPDATE flagroute.plan_commands SET outcome_read_at = now()
        WHERE environment = $1 AND id = $2 AND result IS NOT NULL AND outcome_read_at IS NULL
        RETURNING result`,
      [this.environment, id],
    );
    return row ? (row.result as CommandOutcome) : undefined;
  }
}
