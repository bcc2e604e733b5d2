import { createRouter, type RouterOptions } from '../../src/router/create-router.js';
import type { Router } from '../../src/router/router.js';
import { onTestEnd } from './cleanup.js';
import { tempConfigDir } from './config-dir.js';
import { silentLogger } from './silent-logger.js';

/** `createRouter`, closed when the test ends. */
export async function testRouter(options: RouterOptions): Promise<Router> {
  const router = await createRouter(options);
  onTestEnd(() => router.close());
  return router;
}

/**
 * A router over a temporary config directory holding `files`: no variables, a silent logger,
 * paths shown relative to the directory, no file watching unless `options` says otherwise.
 * Both are cleaned up when the test ends.
 */
export async function routerIn(
  files: Record<string, string>,
  options: RouterOptions = {},
): Promise<{ router: Router; dir: string }> {
  const temp = await tempConfigDir(files);
  const router = await testRouter({
    configDir: temp.dir,
    env: {},
    cwd: temp.dir,
    logger: silentLogger(),
    watch: false,
    ...options,
  });
  return { router, dir: temp.dir };
}
