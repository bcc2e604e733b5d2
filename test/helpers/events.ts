import type { RouterEvents } from '../../src/router/events.js';
import type { Router } from '../../src/router/router.js';

/** Resolves with the router's next `event`, or fails after `timeoutMs` (no fixed sleeps). */
export function nextEvent<K extends keyof RouterEvents>(
  router: Router,
  event: K,
  timeoutMs = 10_000,
): Promise<RouterEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      router.off(event, listener);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: RouterEvents[K]) => {
      clearTimeout(timer);
      router.off(event, listener);
      resolve(payload);
    };
    router.on(event, listener);
  });
}
