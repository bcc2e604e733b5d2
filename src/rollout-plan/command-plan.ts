import { systemClock, wallSleep } from '../clock.js';
import { FlagrouteError } from '../errors.js';
import { type ControllerOptions, RolloutController } from './controller.js';
import { defaultStateDir, FilePlanStore } from './file-plan-store.js';
import type { PlanCommand, PlanState } from './plan-state.js';
import type { CommandOutcome, PlanStore } from './plan-store.js';

/** What became of a person's command given where no controller may be running. */
export type CommandReceipt =
  | { applied: true; state: PlanState }
  | {
      applied: false;
      /** The controller it was queued for. */
      holder: string;
      id: string;
      /** What the controller did with it, when it did so within the wait. */
      outcome?: CommandOutcome;
    };

/** The store that `options` name: theirs, or the file store in their state directory. */
export function storeOf(options: ControllerOptions): PlanStore {
  return (
    options.store ??
    new FilePlanStore(options.stateDir ?? defaultStateDir(options.configDir), options.environment)
  );
}

/**
 * A person's command from outside a controller (the CLI, the admin API of a server without
 * one): applied at once when no live lease is held (this process takes the lease for the
 * moment, taking over an expired or invalid one), else queued in the store for the controller
 * that holds it, which applies it within a second or so; `waitMs` waits that long for its
 * outcome.
 */
export async function commandPlan(
  options: ControllerOptions,
  command: PlanCommand,
  waitMs = 0,
): Promise<CommandReceipt> {
  const store = storeOf(options);
  const leaseClock = options.leaseClock ?? systemClock;
  const lease = await store.readLease(leaseClock.now());
  if (lease.state !== 'live') {
    try {
      const controller = await RolloutController.open({ ...options, store, standby: false });
      try {
        return { applied: true, state: await controller.command(command) };
      } finally {
        await controller.close();
      }
    } catch (error) {
      // A controller started in the meantime: the command goes to it.
      if (!(error instanceof FlagrouteError && /^another controller drives/.test(error.message))) {
        throw error;
      }
    }
  }
  const holder = 'holder' in lease ? lease.holder : 'the controller that just started';
  const id = await store.enqueueCommand(command, leaseClock.now());
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const outcome = await store.commandOutcome(id);
    if (outcome) return { applied: false, holder: outcome.holder, id, outcome };
    await wallSleep(Math.min(100, deadline - Date.now()));
  }
  return { applied: false, holder, id };
}
