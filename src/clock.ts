/**
 * A source of time in milliseconds since the epoch; tests pass a fake one. A clock that runs
 * at another pace than the wall's (the demo's accelerated plan time, a simulation's) also says
 * how to wait on it; otherwise waiting is the wall's `setTimeout`.
 */
export interface Clock {
  now(): number;
  /** Resolves once `ms` of this clock's time has passed, or at once when `signal` aborts. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  /** How many times as fast as the wall's it runs, when not at the wall's pace (the demo's). */
  readonly speed?: number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Waits `ms` of wall time, or until `signal` aborts. The timer keeps the process alive: a loop
 * that waits on it is the process's work, not a background chore.
 */
export function wallSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Waits `ms` of `clock`'s time (see {@link Clock.sleep}). */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return clock.sleep ? clock.sleep(ms, signal) : wallSleep(ms, signal);
}

/** A clock that starts at `startAt` and runs `speed` times as fast as the wall's. */
export function scaledClock(speed: number, startAt: number): Clock {
  const started = Date.now();
  return {
    now: () => startAt + (Date.now() - started) * speed,
    sleep: (ms, signal) => wallSleep(ms / speed, signal),
    speed,
  };
}
