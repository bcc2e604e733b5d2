import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import { FlagrouteError, StoreError } from '../errors.js';
import {
  FileRuntimeLayer,
  type LayerTarget,
  type RuntimeLayerStore,
} from '../rollout-layers/index.js';
import { type Fault, FaultError, faultOf, type HealthSnapshot } from './controller-health.js';
import type { PlanState } from './plan-state.js';
import {
  keepsRuntime,
  type LeaseAcquired,
  type LeaseGrant,
  type PlanStore,
  type StateReading,
} from './plan-store.js';

/** A name for this process as a lease holder: host, pid and a random tag. */
export function holderName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** What a {@link StoreKeeper} needs to know. */
export interface KeeperOptions {
  environment: string;
  holder: string;
  ttlMs: number;
  leaseClock: Clock;
  logger: Logger | undefined;
  /** Wait when another controller holds the lease, instead of refusing. */
  standby: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A controller's side of its plan store: it takes, renews and gives up the lease, writes the
 * state under the lease's fencing token, and repairs what it finds broken (an unreadable or
 * vanished lease or state is written again from memory), reporting every problem as a fault.
 */
export class StoreKeeper {
  /** The lease while this controller holds it. */
  grant: LeaseGrant | undefined;
  private lastGeneration: string | null = null;
  private unsaved = false;
  private announced = false;
  private renewedAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly store: PlanStore,
    private readonly options: KeeperOptions,
    private readonly report: (fault: Fault) => void,
  ) {}

  /**
   * Takes the lease and returns the stored state, or undefined when another controller holds
   * it and this one stands by (without `standby`, that refusal is thrown).
   */
  async takeOver(): Promise<PlanState | undefined> {
    const { environment, holder, ttlMs, leaseClock } = this.options;
    let acquired: LeaseAcquired;
    try {
      acquired = await this.store.acquireLease(holder, leaseClock.now(), ttlMs);
    } catch (error) {
      if (
        !(this.options.standby && error instanceof FlagrouteError && error.code === 'PLAN_CONFLICT')
      ) {
        throw error;
      }
      if (!this.announced) {
        this.options.logger?.info(
          { environment },
          `rollout controller of ${environment} stands by: ${error.message.replace(/; stop it.*$/, '')}; it takes over when that lease is released or expires`,
        );
      }
      this.announced = true;
      return undefined;
    }
    let reading: StateReading;
    try {
      reading = await this.store.readState();
      if (reading.generation === null && reading.problems.length > 0) {
        throw new FaultError({
          reason: 'state_unreadable',
          message: `no generation of the plan state of ${environment} in ${this.store.location} can be read (${reading.problems.map((problem) => problem.message).join('; ')}); move them aside to start the plan over`,
        });
      }
    } catch (error) {
      await this.store.releaseLease(acquired.grant, leaseClock.now()).catch(() => {});
      throw error;
    }
    this.announceTakeOver(acquired);
    this.grant = acquired.grant;
    this.renewedAt = leaseClock.now();
    this.lastGeneration = reading.generation;
    this.unsaved = false;
    this.announced = false;
    for (const problem of reading.problems) this.report(problem);
    return reading.state;
  }

  private announceTakeOver({ grant, previous }: LeaseAcquired): void {
    const { environment, logger } = this.options;
    const generation = `lease generation ${grant.token}`;
    if (previous.state === 'invalid') {
      logger?.warn(
        { environment },
        `took over the lease of ${environment} from ${previous.holder} (${generation}): ${previous.why}`,
      );
    } else if (previous.state === 'expired') {
      logger?.warn(
        { environment },
        `took over the lease of ${environment} from ${previous.holder} (${generation}): no heartbeat since ${iso(previous.heartbeatAt)}`,
      );
    } else if (previous.state === 'free') {
      const released = previous.releasedBy ? `, released by ${previous.releasedBy}` : '';
      logger?.info({ environment }, `took the lease of ${environment} (${generation}${released})`);
    }
  }

  /** Refuses (`PLAN_CONFLICT`, naming who drives) unless this controller holds the lease. */
  async requireGrant(): Promise<void> {
    if (this.grant) return;
    const lease = await this.store.readLease(this.options.leaseClock.now());
    const holder = 'holder' in lease ? lease.holder : 'another controller';
    throw new FlagrouteError(
      'PLAN_CONFLICT',
      `another controller drives ${this.options.environment}: ${holder}; this one stands by (flagroute rollout plan queues commands for it)`,
    );
  }

  /** Renews the lease; a lost lease makes this controller stand by (and is thrown). */
  async keepLease(health?: HealthSnapshot): Promise<void> {
    const grant = this.grant;
    if (!grant) return;
    try {
      const now = this.options.leaseClock.now();
      const repaired = await this.store.renewLease(grant, now, health);
      this.renewedAt = now;
      for (const fault of repaired) this.report(fault);
    } catch (error) {
      if (error instanceof FaultError && error.fault.reason === 'lease_lost')
        this.grant = undefined;
      throw error;
    }
  }

  /** Whether a third of the lease's time to live has passed since it was last renewed. */
  get renewalDue(): boolean {
    return this.options.leaseClock.now() - this.renewedAt >= this.options.ttlMs / 3;
  }

  /** Writes the state back when the last write failed, or when the store lost or broke it. */
  async keepState(current: PlanState): Promise<void> {
    if (!this.unsaved) {
      const reading = await this.store.readState();
      if (reading.generation === this.lastGeneration && reading.problems.length === 0) return;
      for (const [index, problem] of reading.problems.entries()) {
        // Out of the way, so that it cannot shadow what is written next; kept for a person.
        const aside = await this.store
          .setAsideState(reading.unreadable[index]!)
          .then((where) => `; set aside as ${where}`)
          .catch(() => '');
        this.report({
          ...problem,
          message: `${problem.message}${aside}; the controller writes the state again from memory`,
        });
      }
      if (reading.problems.length === 0) {
        this.report({
          reason: 'state_missing',
          message: `the plan state of ${this.options.environment} in ${this.store.location} is not this controller's last write (${this.lastGeneration ?? 'none'}, found ${reading.generation ?? 'nothing'}): was the state directory deleted? It is written again from memory`,
        });
      }
    }
    try {
      await this.save(current);
    } catch (error) {
      this.unsaved = true;
      if (error instanceof StoreError) {
        this.report(faultOf(error, this.options.environment));
        return;
      }
      this.report({
        reason: 'state_not_writable',
        message: `the plan state of ${this.options.environment} cannot be written to ${this.store.location} (${(error as Error).message}); it is kept in memory and written when it can be: make the directory writable`,
      });
    }
  }

  /** Saves the state under the lease's token (refused when the lease was lost). */
  async save(state: PlanState): Promise<void> {
    if (!this.grant) throw new FlagrouteError('PLAN_CONFLICT', 'this controller holds no lease');
    try {
      this.lastGeneration = await this.store.writeState(state, this.grant);
      this.unsaved = false;
    } catch (error) {
      this.unsaved = true;
      if (error instanceof FaultError && error.fault.reason === 'lease_lost')
        this.grant = undefined;
      throw error;
    }
  }

  /** Refuses (throws) unless this controller still holds the lease: checked before every edit. */
  async assertLease(): Promise<void> {
    if (!this.grant) throw new FlagrouteError('PLAN_CONFLICT', 'this controller holds no lease');
    try {
      await this.store.checkLease(this.grant);
    } catch (error) {
      if (error instanceof FaultError && error.fault.reason === 'lease_lost')
        this.grant = undefined;
      throw error;
    }
  }

  /**
   * Takes the queued commands under the lease (refused, and the grant dropped, when the lease
   * was lost: the commands stay for the controller that holds it).
   */
  async takeCommands(): Promise<Awaited<ReturnType<PlanStore['takeCommands']>>> {
    if (!this.grant) throw new FlagrouteError('PLAN_CONFLICT', 'this controller holds no lease');
    try {
      return await this.store.takeCommands(this.grant);
    } catch (error) {
      if (error instanceof FaultError && error.fault.reason === 'lease_lost')
        this.grant = undefined;
      throw error;
    }
  }

  /** Gives the lease up. */
  async release(): Promise<void> {
    const grant = this.grant;
    this.grant = undefined;
    if (grant) await this.store.releaseLease(grant, this.options.leaseClock.now());
  }

  /**
   * Where the plan's stage writes go: a store that keeps the runtime layer, each write fenced by
   * this controller's lease; else the environment file (checked against the lease just before).
   */
  runtimeTarget(config: LoadedConfig): LayerTarget {
    const store = this.store;
    if (!keepsRuntime(store)) {
      const { configDir, environment } = config;
      // Named relative to the configuration: a refused edit can reach a server's answer.
      return { config, store: new FileRuntimeLayer({ configDir, environment, cwd: configDir }) };
    }
    const fenced: RuntimeLayerStore = {
      environment: store.environment,
      runtimeLocation: store.runtimeLocation,
      readRuntime: () => store.readRuntime(),
      subscribeRuntime: (listener) => store.subscribeRuntime(listener),
      updateRuntime: (change) => {
        if (!this.grant)
          throw new FlagrouteError('PLAN_CONFLICT', 'this controller holds no lease');
        return store.updateRuntime(change, this.grant);
      },
    };
    return { config, store: fenced };
  }
}
