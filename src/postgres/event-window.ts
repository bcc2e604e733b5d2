/** Which events of an environment to read: all, or those at or after `since` (ms since the epoch). */
export interface EventWindow {
  environment: string;
  since?: number;
}

/**
 * The window as the store's queries take it: `$1` the environment, `$2` the start as an ISO
 * timestamp, or null for every event (the queries read `$2::timestamptz IS NULL`).
 */
export function windowParameters(window: EventWindow): [string, string | null] {
  return [
    window.environment,
    window.since === undefined ? null : new Date(window.since).toISOString(),
  ];
}
