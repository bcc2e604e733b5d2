import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestEnd } from './cleanup.js';

/** A temporary config directory with the given files (paths relative to it). */
export interface TempConfigDir {
  dir: string;
  write(path: string, content: string): Promise<void>;
  remove(): Promise<void>;
}

/** Creates a config directory in the system's temp folder, filled with `files`; removed when the test ends. */
export async function tempConfigDir(files: Record<string, string> = {}): Promise<TempConfigDir> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-test-'));
  const write = async (path: string, content: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  };
  const remove = () => rm(dir, { recursive: true, force: true });
  onTestEnd(remove);
  for (const [path, content] of Object.entries(files)) await write(path, content);
  return { dir, write, remove };
}

/** The repository's own config directory. */
export const REPO_DIR = join(import.meta.dirname, '..', '..');

/**
 * An environment with A/B testing on at `percentage` and the safety machinery that would act on
 * its own (rollback triggers, circuit breaker, quality gate) off, so that only what a test posts
 * moves anything; `extra` lines (YAML) are appended.
 */
export function experimentEnv(salt: string, percentage: number, extra = ''): string {
  return `rollout_percentage: ${percentage}
enable_ab_testing: true
user_hash_salt: ${salt}
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
${extra}`;
}

/**
 * A development environment with a two-stage rollout plan (20 % for an hour with at least 5
 * users, then 100 %) and A/B testing on: what the tests of `serve --controller` start from.
 */
export const TWO_STAGE_PLAN_ENV = `rollout_percentage: 0
enable_ab_testing: true
rollout_plan:
  stages:
    - { percentage: 20, hold: 1h, min_units: 5 }
    - { percentage: 100, hold: 1h }
`;
