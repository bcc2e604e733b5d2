import type { LoadedConfig } from '../config/loaded-config.js';
import { FlagrouteError } from '../errors.js';
import { FaultError, type HealthTracker } from './controller-health.js';
import type { EffectExecutor } from './effect-executor.js';
import type { PlanObserver } from './plan-observer.js';
import type { PlanState } from './plan-state.js';
import { planViewOf } from './plan-view.js';
import { step } from './step.js';
import type { StepInput } from './step-types.js';
import type { StoreKeeper } from './store-keeper.js';

/** What a step did: the plan's state after it, and whether the environment file was edited. */
export interface Moved {
  state: PlanState;
  edited: boolean;
}

/**
 * Moves a plan one step at a time: asks the pure `step`, has the executor run its effects, and
 * turns what fails into a fault or a coded refusal. The state moves only once the edits of
 * the environment file are done.
 */
export class PlanMover {
  constructor(
    private readonly environment: string,
    private readonly parts: {
      executor: EffectExecutor;
      keeper: StoreKeeper;
      observer: PlanObserver;
      health: HealthTracker;
      now: () => number;
    },
  ) {}

  /** One step from `state`; a refusal throws with its code, a failed edit as a fault. */
  async take(state: PlanState, input: StepInput, config: LoadedConfig): Promise<Moved> {
    const { executor, keeper, health } = this.parts;
    const result = step(state, input);
    if (!result.ok) throw new FlagrouteError(result.code, result.message);
    const execution = await executor
      .run(result.effects, result.state, {
        config,
        target: keeper.runtimeTarget(config),
        at: input.at,
        save: (next) => keeper.save(next),
        assertLease: () => keeper.assertLease(),
      })
      .catch((error: unknown) => {
        if (error instanceof FlagrouteError && error.code === 'PLAN_CONFLICT') throw error;
        throw new FaultError(
          {
            reason: 'config_not_writable',
            message: `the environment file of ${this.environment} could not be edited (${(error as Error).message}); the plan did not move and tries again at the next look`,
          },
          { cause: error },
        );
      });
    if (execution.unsaved) health.report(execution.unsaved, input.at);
    return { state: result.state, edited: execution.edited };
  }

  /**
   * Applies the commands queued in the store, oldest first, each acknowledged for the person
   * who queued it (a refusal too). The configuration is read only when there is a command, and
   * again after an edit. Returns the state after them and the configuration last read, if any.
   */
  async applyQueued(
    start: PlanState,
    config: () => Promise<LoadedConfig>,
    holder: string,
  ): Promise<{ state: PlanState; config: LoadedConfig | undefined }> {
    const { keeper, observer, health, now } = this.parts;
    const { commands, problems } = await keeper.takeCommands();
    for (const problem of problems) health.report(problem, now());
    let state = start;
    let current = commands.length > 0 ? await config() : undefined;
    for (const { id, command } of commands) {
      try {
        const baseline = await observer.baseline();
        const plan = planViewOf(current!);
        const input = { kind: 'command', command, at: now(), plan, baseline } as const;
        const moved = await this.take(state, input, current!);
        state = moved.state;
        if (moved.edited) current = await observer.config();
        const { phase, reason } = state;
        await keeper.store.acknowledgeCommand(id, { ok: true, phase, reason, holder });
      } catch (error) {
        const code = error instanceof FlagrouteError ? error.code : 'INVALID_DATA';
        const message = (error as Error).message;
        await keeper.store
          .acknowledgeCommand(id, { ok: false, code, message, holder })
          .catch(() => {});
        if (error instanceof FaultError) throw error;
      }
    }
    return { state, config: current };
  }
}
