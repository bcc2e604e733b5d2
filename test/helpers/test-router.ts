import { createRouter, type RouterOptions } from '../../src/router/create-router.js';
import type { Router } from '../../src/router/router.js';
import { onTestEnd } from './cleanup.js';

/** `createRouter`, closed when the test ends. */
export async function testRouter(options: RouterOptions): Promise<Router> {
  const router = await createRouter(options);
  onTestEnd(() => router.close());
  return router;
}
