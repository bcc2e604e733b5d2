import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/loaded-config.js';
import { StoreError } from '../errors.js';
import { type LayerTarget, rollBack, setRollout, setShadow } from '../rollout-layers/index.js';
import { type Fault, faultOf } from './controller-health.js';
import type { PlanState, Transition } from './plan-state.js';
import type { PlanEffect } from './step-types.js';
import { deliverWebhooks, type WebhookOptions } from './webhooks.js';

/** A transition as webhooks and listeners get it. */
export interface TransitionNotice extends Transition {
  environment: string;
}

/** What the executor needs besides the effects. */
export interface EffectContext {
  /** The configuration the step was made on (its edits start from it). */
  config: LoadedConfig;
  /** Where the runtime layer and the kill switch are written (the store, or the file). */
  target: LayerTarget;
  /** The plan's clock at the step. */
  at: number;
  /** Saves the state, fenced by the controller's lease; throws a fault when it cannot. */
  save(state: PlanState): Promise<void>;
  /** Refuses (throws) when the controller no longer holds its lease: checked before every edit. */
  assertLease(): Promise<void>;
}

/** What running a step's effects did. */
export interface Execution {
  /** Whether the environment file was edited (the configuration must be read again). */
  edited: boolean;
  /** Why the state could not be saved (it is kept in memory and written back later). */
  unsaved?: Fault;
}

/**
 * Runs the effects of a step, in order, and is the only place that does: the edits of the
 * environment file (the same atomic, comment-preserving edit as `flagroute rollout set`, so
 * every router follows by hot reload), the state written, and the notices (a log line,
 * listeners, webhooks that never block the plan). An edit that fails throws before anything
 * else happens, so the step is not taken.
 */
export class EffectExecutor {
  private readonly listeners: ((notice: TransitionNotice) => void)[] = [];
  private readonly deliveries = new Set<Promise<void>>();

  constructor(
    private readonly environment: string,
    private readonly logger: Logger | undefined,
    private readonly webhook: WebhookOptions | undefined,
  ) {}

  /** Calls `listener` on every transition. */
  onTransition(listener: (notice: TransitionNotice) => void): void {
    this.listeners.push(listener);
  }

  async run(effects: PlanEffect[], state: PlanState, context: EffectContext): Promise<Execution> {
    const execution: Execution = { edited: false };
    for (const effect of effects) {
      switch (effect.kind) {
        case 'set_rollout':
        case 'set_shadow': {
          await context.assertLease();
          const stage = {
            reason: effect.note,
            at: new Date(context.at),
            setBy: 'plan' as const,
            liftKillSwitch: effect.lift,
          };
          await (effect.kind === 'set_rollout'
            ? setRollout(context.target, { ...stage, percentage: effect.percentage })
            : setShadow(context.target, { ...stage, shadowPercentage: effect.shadowPercentage }));
          execution.edited = true;
          break;
        }
        case 'engage_kill_switch':
          await context.assertLease();
          await rollBack(context.target, {
            reason: effect.reason,
            at: new Date(context.at),
          });
          execution.edited = true;
          break;
        case 'write_state':
          try {
            await context.save(state);
          } catch (error) {
            execution.unsaved =
              error instanceof StoreError
                ? faultOf(error, this.environment)
                : {
                    reason: 'state_not_writable',
                    message: `the plan state of ${this.environment} could not be written (${(error as Error).message}); it is kept in memory and written at the next look: check that the state directory is writable`,
                  };
          }
          break;
        case 'notify':
          this.notify(effect.transition, context.config.settings.rollout_plan.webhooks);
          break;
      }
    }
    return execution;
  }

  private notify(transition: Transition, webhooks: readonly string[]): void {
    const notice: TransitionNotice = { environment: this.environment, ...transition };
    const level = transition.event === 'rollback' || transition.event === 'abort' ? 'warn' : 'info';
    this.logger?.[level](
      { rolloutPlan: notice },
      `rollout plan ${this.environment}: ${transition.event} (${transition.from} -> ${transition.to}): ${transition.reason}`,
    );
    for (const listener of this.listeners) {
      try {
        listener(notice);
      } catch (error) {
        this.logger?.error({ err: error }, 'a rollout plan listener failed; the plan goes on');
      }
    }
    if (webhooks.length === 0) return;
    const delivery = deliverWebhooks(webhooks, notice, {
      ...this.webhook,
      ...(this.logger ? { logger: this.logger } : {}),
    });
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  /** Waits for webhook deliveries under way (bounded by their timeouts and retries). */
  async flush(): Promise<void> {
    await Promise.all([...this.deliveries]);
  }
}
