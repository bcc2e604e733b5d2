import { type Clock, systemClock } from '../clock.js';
import type { LoadedConfig } from '../config/index.js';
import { FlagrouteError } from '../errors.js';
import { type Fault, faultOf, HealthTracker, isStandingBy } from './controller-health.js';
import type { ControllerOptions, ControllerRole } from './controller-options.js';
import { EffectExecutor, type TransitionNotice } from './effect-executor.js';
import { defaultStateDir, FilePlanStore } from './file-plan-store.js';
import { definitionConflict, planDefinitionOf } from './plan-definition.js';
import { PlanMover } from './plan-mover.js';
import { PlanObserver, windowOf } from './plan-observer.js';
import { type PlanCommand, type PlanState, pendingState } from './plan-state.js';
import { type PlanStatus, planStatusOf } from './plan-status.js';
import { keepsRuntime } from './plan-store.js';
import { planViewOf } from './plan-view.js';
import { holderName, StoreKeeper } from './store-keeper.js';

export type { ControllerOptions, ControllerRole } from './controller-options.js';

/**
 * Drives an environment's `rollout_plan`. Every look and every command runs through one queue,
 * so they never interleave: each reads the configuration once, asks the pure {@link step} what
 * to do, and has one {@link EffectExecutor} do it. One controller per environment holds the
 * store's lease, whose fencing token guards every state write. A fault (an unreadable state or
 * lease, a metrics source down, a broken or read-only configuration) is logged at error level,
 * counted in {@link RolloutController.health}, and the plan's last good state stays in memory.
 */
export class RolloutController {
  readonly holder: string;
  readonly health: HealthTracker;
  readonly clock: Clock;
  readonly keeper: StoreKeeper;
  private readonly observer: PlanObserver;
  private readonly executor: EffectExecutor;
  private readonly mover: PlanMover;
  private queue: Promise<unknown> = Promise.resolve();
  private current: PlanState;
  private closed = false;
  private lastTakeOverFault: string | undefined;

  private constructor(private readonly options: ControllerOptions) {
    this.clock = options.clock ?? systemClock;
    this.holder = options.holder ?? holderName();
    const store =
      options.store ??
      new FilePlanStore(
        options.stateDir ?? defaultStateDir(options.configDir),
        options.environment,
      );
    this.health = new HealthTracker(options.environment, options.logger);
    const report = (fault: Fault) => this.health.report(fault, this.clock.now());
    this.keeper = new StoreKeeper(
      store,
      {
        environment: options.environment,
        holder: this.holder,
        ttlMs: options.leaseTtlMs ?? 30_000,
        leaseClock: options.leaseClock ?? systemClock,
        logger: options.logger,
        standby: options.standby ?? false,
      },
      report,
    );
    const env = options.env ?? process.env;
    const runtime = keepsRuntime(store) ? { runtime: store } : {};
    this.observer = new PlanObserver({ ...options, env, ...runtime }, report);
    this.executor = new EffectExecutor(options.environment, options.logger, options.webhook);
    this.mover = new PlanMover(options.environment, {
      executor: this.executor,
      keeper: this.keeper,
      observer: this.observer,
      health: this.health,
      now: () => this.clock.now(),
    });
    this.current = pendingState(options.environment);
  }

  /**
   * Takes the environment's lease and reads its plan state. When another controller holds a
   * live lease it refuses (`PLAN_CONFLICT`, naming it), or with `standby` waits for it.
   */
  static async open(options: ControllerOptions): Promise<RolloutController> {
    const controller = new RolloutController(options);
    // A standby waits out what stops it taking the lease (an unwritable state directory, an
    // unreadable state), as a fault, and tries again; a controller that must act at once fails.
    await controller.serial(() =>
      controller.takeOver().catch((error: unknown) => {
        if (!options.standby) throw error;
        controller.takeOverFailed(error);
      }),
    );
    return controller;
  }

  /** The plan's state (a standby's is the store's, as last read). */
  get state(): PlanState {
    return this.current;
  }

  get role(): ControllerRole {
    return this.closed ? 'closed' : this.keeper.grant ? 'active' : 'standby';
  }

  /** Calls `listener` on every transition. */
  onTransition(listener: (notice: TransitionNotice) => void): void {
    this.executor.onTransition(listener);
  }

  /** Calls `listener` on every fault (it is also logged and counted in the health). */
  onFault(listener: (fault: Fault) => void): void {
    this.health.onFault(listener);
  }

  /** Runs `work` after everything queued before it: looks and commands never interleave. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Applies a person's command (in the queue); a refusal throws with its code. */
  command(command: PlanCommand): Promise<PlanState> {
    return this.serial(async () => {
      await this.ensureActive();
      const config = await this.observer.config();
      const baseline = await this.observer.baseline();
      const at = this.clock.now();
      const input = { kind: 'command', command, at, plan: planViewOf(config), baseline } as const;
      this.current = (await this.mover.take(this.current, input, config)).state;
      return this.current;
    });
  }

  /**
   * One look (in the queue): renew the lease, check the stored state, apply queued commands,
   * then judge the plan on current data and move it if it should. Every fault is logged and
   * counted; one that stops the look is thrown after that.
   */
  look(): Promise<PlanState> {
    return this.serial(async () => {
      // The heartbeat carries the health of the last look; this look's faults come after it.
      const health = this.health.snapshot();
      this.health.beginLook();
      try {
        await this.ensureActive();
        await this.keeper.keepLease(health);
        await this.keeper.keepState(this.current);
        const loaded = await this.observer.config();
        const config = (await this.applyQueued(async () => loaded)) ?? loaded;
        const plan = planViewOf(config);
        const conflict = definitionConflict(this.current, planDefinitionOf(plan.stages));
        if (conflict !== undefined) {
          this.health.report({ reason: 'plan_mismatch', message: conflict }, this.clock.now());
        }
        const metrics = await this.observer.metrics(windowOf(this.current, config));
        const at = this.clock.now();
        const input = { kind: 'look', at, plan, metrics } as const;
        this.current = (await this.mover.take(this.current, input, config)).state;
      } catch (error) {
        if (!isStandingBy(error)) {
          this.health.report(faultOf(error, this.options.environment), this.clock.now());
        }
        throw error;
      } finally {
        this.health.endLook();
      }
      return this.current;
    });
  }

  /**
   * Between looks (the loop calls it every poll): checks that the stored state is this
   * controller's last write (repairing it if not) and applies the commands queued in the store.
   */
  tend(): Promise<void> {
    return this.serial(async () => {
      if (!this.keeper.grant) return;
      await this.keeper.keepState(this.current);
      await this.applyQueued(() => this.observer.config());
    });
  }

  /** Renews the lease between looks; standing by, tries to take it. True while active. */
  heartbeat(): Promise<boolean> {
    return this.serial(async () => {
      try {
        if (this.keeper.grant) {
          if (this.keeper.renewalDue) await this.keeper.keepLease(this.health.snapshot());
        } else if (!this.closed) {
          const answered = await this.takeOver().then(
            () => true,
            (error: unknown) => this.takeOverFailed(error),
          );
          // A standby looks at nothing else: a store that answered ends its faults.
          if (answered) this.health.recoverStandby();
        }
      } catch (error) {
        this.health.report(faultOf(error, this.options.environment), this.clock.now());
      }
      return this.role === 'active';
    });
  }

  /** The plan's status, with the readings of the last look and this controller's health. */
  async status(): Promise<PlanStatus> {
    // While the files are broken, the status shows the plan as last loaded.
    const config = await this.observer.config().catch((error: unknown) => {
      if (this.observer.last) return this.observer.last;
      throw error;
    });
    const health = this.health.snapshot();
    return planStatusOf(config, this.current, this.clock.now(), this.options.source.name, health);
  }

  /** Waits for webhook deliveries under way (bounded by their timeouts and retries). */
  flush(): Promise<void> {
    return this.executor.flush();
  }

  /** Gives up the lease, after the work queued and the webhooks under way; idempotent. */
  async close(): Promise<void> {
    await this.serial(async () => {
      this.closed = true;
      await this.keeper.release().catch(() => {});
    });
    await this.flush();
  }

  /** A failed attempt to take the lease: a fault when it is a new one (not one a second). */
  private takeOverFailed(error: unknown): false {
    const fault = faultOf(error, this.options.environment);
    if (fault.message !== this.lastTakeOverFault) this.health.report(fault, this.clock.now());
    this.lastTakeOverFault = fault.message;
    this.health.standby(true);
    return false;
  }

  private async takeOver(): Promise<void> {
    const state = await this.keeper.takeOver();
    this.lastTakeOverFault = undefined;
    if (state) this.current = state;
    else this.current = (await this.keeper.store.readState()).state;
    this.health.standby(state === undefined);
  }

  private async ensureActive(): Promise<void> {
    if (this.closed) {
      throw new FlagrouteError(
        'PLAN_CONFLICT',
        `the controller of ${this.options.environment} is closed`,
      );
    }
    if (!this.keeper.grant) await this.takeOver();
    await this.keeper.requireGrant();
  }

  private async applyQueued(config: () => Promise<LoadedConfig>) {
    const moved = await this.mover.applyQueued(this.current, config, this.holder);
    this.current = moved.state;
    return moved.config;
  }
}
