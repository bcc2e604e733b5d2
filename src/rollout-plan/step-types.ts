import type { Result } from '../result.js';
import type { PlanMetrics } from './guardrails.js';
import type { ArmSnapshot, PlanCommand, PlanState, Transition } from './plan-state.js';
import type { PlanView } from './plan-view.js';

/** What a step of the plan is given: a person's command, or a look at the data. */
export type StepInput =
  | {
      kind: 'command';
      command: PlanCommand;
      /** The time on the plan's clock. */
      at: number;
      plan: PlanView;
      /** The cumulative moments now (a stage that starts measures from them); null: unknown. */
      baseline: ArmSnapshot | null;
    }
  | {
      kind: 'look';
      at: number;
      plan: PlanView;
      /** The metrics source's reading; null when it could not be read (nothing is judged). */
      metrics: PlanMetrics | null;
    };

/**
 * What a step asks the world to do, in order; one executor runs them. The edits of the
 * environment file come first: when one fails, nothing after it happens and the plan's state
 * stays as it was.
 */
export type PlanEffect =
  /**
   * Set the runtime layer to the stage's percentage. `lift`: a person's command (start,
   * resume) lifts a kill switch in the same write; a look never does (it is refused then).
   */
  | { kind: 'set_rollout'; percentage: number; note: string; lift: boolean }
  /**
   * A shadow stage: the runtime layer at 0 % for users and `shadowPercentage` of the eligible
   * queries Perplexity serves shadowed (`setShadow`); `lift` as for `set_rollout`.
   */
  | { kind: 'set_shadow'; shadowPercentage: number; note: string; lift: boolean }
  /** Engage the kill switch: 0 % everywhere, above every layer. */
  | { kind: 'engage_kill_switch'; reason: string }
  /** Save the new state (fenced by the controller's lease). */
  | { kind: 'write_state' }
  /** Tell the log, the listeners and the webhooks. */
  | { kind: 'notify'; transition: Transition };

/** Codes of a refused command. */
export type PlanRefusalCode = 'PLAN_CONFLICT' | 'INVALID_ARGUMENT';

/** The new state and what to do, or a command's refusal (a code and a message that says why). */
export type StepResult = Result<
  { state: PlanState; effects: PlanEffect[] },
  { code: PlanRefusalCode; message: string }
>;
