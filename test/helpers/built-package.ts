import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Vitest global setup: tests that spawn the built CLI must never pass on a stale `dist/`. Fails
 * the run, saying what to do, when any file in `src/` or `schemas/` is newer than the build.
 */
export default function checkBuild(): void {
  let built: number;
  try {
    built = statSync(join(ROOT, 'dist', 'cli', 'main.js')).mtimeMs;
  } catch {
    throw new Error('dist/ is missing: run "npm run build" (npm test does) before vitest');
  }
  const source = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'schemas')));
  if (source > built) {
    throw new Error('dist/ is older than src/: run "npm run build" (npm test does) before vitest');
  }
}
