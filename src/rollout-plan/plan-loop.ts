import { sleepOn } from '../clock.js';
import type { RolloutController } from './controller.js';
import type { PlanState } from './plan-state.js';

/** Options of {@link runController}. */
export interface LoopOptions {
  /** Time between looks, on the controller's clock. */
  intervalMs: number;
  /**
   * How often, between looks, queued commands are taken and the lease is kept (renewed, or
   * taken over by a standby), on the controller's clock. Default the shorter of a second and the
   * interval.
   */
  pollMs?: number;
  /** Stops the loop (after the look under way). */
  signal?: AbortSignal;
  /** Ends the loop when it returns true after a look (a simulation's end). */
  until?: (state: PlanState) => boolean;
}

/**
 * After `failures` looks in a row failed, the time to the next: an eighth of the interval,
 * doubling with each failure, up to twice the interval.
 */
export function retryDelay(intervalMs: number, failures: number): number {
  return Math.min(2 * intervalMs, (intervalMs / 8) * 2 ** (failures - 1));
}

/**
 * The one driver loop, shared by `flagroute controller`, `flagroute serve --controller`,
 * `flagroute rollout simulate` and the demo; each passes its clock to the controller (the
 * wall's, an accelerated one, a simulated one). It looks at once and then every `intervalMs`;
 * between looks it applies queued commands and keeps the lease; a failed look is retried with
 * backoff; a standby takes over when the lease is released or expires, and looks at once.
 * Returns when `signal` aborts, `until` says so, or the controller is closed.
 */
export async function runController(
  controller: RolloutController,
  options: LoopOptions,
): Promise<void> {
  const { clock } = controller;
  const { intervalMs, signal } = options;
  const pollMs = Math.min(options.pollMs ?? 1000, intervalMs);
  let failures = 0;
  let nextLook = clock.now();
  while (!signal?.aborted && controller.role !== 'closed') {
    const active = await controller.heartbeat();
    if (!active) {
      await sleepOn(clock, pollMs, signal);
      nextLook = clock.now();
      continue;
    }
    if (clock.now() >= nextLook) {
      try {
        await controller.look();
        failures = 0;
        nextLook = clock.now() + intervalMs;
      } catch {
        // Logged and counted by the controller; the next look comes sooner, then less often.
        failures += 1;
        nextLook = clock.now() + retryDelay(intervalMs, failures);
      }
      if (options.until?.(controller.state)) return;
    } else {
      await controller.tend().catch(() => {});
    }
    await sleepOn(clock, Math.max(0, Math.min(pollMs, nextLook - clock.now())), signal);
  }
}
