import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { assembleConfig } from './assemble-config.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import type { LoadedConfig, LoadedRegion, LoadedRule } from './loaded-config.js';
import { DEFAULT_STABILITY_MS, ReadSession } from './read-session.js';
import type { RuleFileCache } from './rule-files.js';
import { scrubSecrets, secretsOf } from './secrets.js';
import type { EnvironmentSettings } from './types.js';
import { displayPath } from './yaml-file.js';

export type {
  LoadedConfig,
  LoadedRegion,
  LoadedRule,
  Origin,
  RolloutLayers,
} from './loaded-config.js';

/** The environment used when none is named. */
export const DEFAULT_ENVIRONMENT = 'development';
/** Loads are given up when files keep changing this long. */
const UNSTABLE_AFTER_MS = 5_000;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory holding `environments/` and `rules/`. */
  configDir: string;
  environment?: string;
  /** Variables to read `LIGHTRAG_*` overrides from; pass `{}` to ignore them. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of the file paths shown in messages. */
  cwd?: string;
  /** Shares parsed rule files between environments of one validation run. */
  ruleFileCache?: RuleFileCache;
  /**
   * Every file read must have been unchanged this long (and unchanged while it was read) before
   * its content is used; otherwise the load is done again. Default 40 ms; 0 checks only that
   * nothing changed during the read.
   */
  stabilityMs?: number;
}

/** What {@link tryLoadConfig} returns: the configuration, or every problem. */
export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; issues: ConfigIssue[] };

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
 * only from files that were complete on disk: each file's size, mtime, inode and content hash
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
    if (await session.settle(stabilityMs)) return result;
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

/** Content hash of an effective configuration: equal configs share a version. */
export function configVersion(
  settings: EnvironmentSettings,
  rules: readonly LoadedRule[],
  regions: readonly LoadedRegion[],
): string {
  const content = stringify({
    settings,
    rules: rules.map(({ name, spec }) => ({ name, spec })),
    regions: regions.map(({ region, rolloutPercentage }) => ({ region, rolloutPercentage })),
  });
  return createHash('sha256')
    .update(content ?? '')
    .digest('hex')
    .slice(0, 12);
}
