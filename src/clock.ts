/** A source of time in milliseconds since the epoch; tests pass a fake one. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
