import { assembleConfig } from './assemble-config.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import type {
  LoadConfigOptions,
  LoadedConfig,
  LoadResult,
  RuleFileCache,
} from './loaded-config.js';
import { DEFAULT_STABILITY_MS, ReadSession } from './read-session.js';
import { scrubSecrets, secretsOf } from './secrets.js';
import { displayPath } from './yaml-file.js';

export { configVersion } from './assemble-config.js';
export {
  DEFAULT_ENVIRONMENT,
  type LoadConfigOptions,
  type LoadedConfig,
  type LoadedRegion,
  type LoadedRolloutLayers,
  type LoadedRule,
  type LoadResult,
  type Origin,
} from './loaded-config.js';

/** Loads are given up when files keep changing this long. */
const UNSTABLE_AFTER_MS = 5_000;

/**
 * Reads, validates and assembles one environment. Throws {@link ConfigError} with every problem
 * found (in the environment file, its rule files and the variables), and loads nothing then.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const result = await tryLoadConfig(options);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/**
 * Like {@link loadConfig}, but returns the problems instead of throwing. The result is built
 * only from files that were complete on disk: each file's size, mtime, inode and content
 * are compared after the load, and the load is done again if any changed or if any was written
 * within the stability window. No message carries the salt, valid or not.
 */
export async function tryLoadConfig(options: LoadConfigOptions): Promise<LoadResult> {
  const stabilityMs = options.stabilityMs ?? DEFAULT_STABILITY_MS;
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    const session = new ReadSession();
    // A retry must not reuse rule files parsed while a file was changing.
    const cache = (attempt === 1 ? options.ruleFileCache : undefined) ?? new Map();
    const result = await loadGuarded({ ...options, ruleFileCache: cache }, session);
    if (await session.settle({ stabilityMs })) return result;
    if (Date.now() - started > UNSTABLE_AFTER_MS) return unstable(session, options.cwd);
  }
}

function unstable(session: ReadSession, cwd = process.cwd()): LoadResult {
  const files = session.paths.map((path) => displayPath(path, cwd)).join(', ');
  return {
    ok: false,
    issues: [
      {
        code: 'FILE_UNSTABLE',
        file: null,
        line: null,
        column: null,
        pointer: '',
        message: `the configuration files kept changing for ${UNSTABLE_AFTER_MS / 1000} s while being read (${files}); nothing was loaded`,
      },
    ],
  };
}

async function loadGuarded(
  options: LoadConfigOptions & { ruleFileCache: RuleFileCache },
  session: ReadSession,
): Promise<LoadResult> {
  const secrets = secretsOf(options.env ?? {});
  try {
    const result = await assembleConfig(options, session, secrets);
    return result.ok ? result : { ok: false, issues: scrubSecrets(result.issues, secrets) };
  } catch (error) {
    // A bug or an input no check foresaw: reported like any other problem, never a crash.
    const message = error instanceof Error ? error.message : String(error);
    const issue: ConfigIssue = {
      code: 'LOAD_FAILED',
      file: null,
      line: null,
      column: null,
      pointer: '',
      message: `could not load the configuration: ${message}`,
    };
    return { ok: false, issues: scrubSecrets([issue], secrets) };
  }
}
