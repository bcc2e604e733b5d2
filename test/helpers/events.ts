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

/** Resolves with the first of `reload` or `reloadError`. */
export function nextReloadOutcome(
  router: Router,
  timeoutMs = 10_000,
): Promise<
  { ok: true; event: RouterEvents['reload'] } | { ok: false; event: RouterEvents['reloadError'] }
> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      router.off('reload', onReload);
      router.off('reloadError', onError);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no reload or reloadError within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReload = (event: RouterEvents['reload']) => {
      done();
      resolve({ ok: true, event });
    };
    const onError = (event: RouterEvents['reloadError']) => {
      done();
      resolve({ ok: false, event });
    };
    router.on('reload', onReload);
    router.on('reloadError', onError);
  });
}
