import { type Command, Option } from 'commander';
import {
  ConfigError,
  type ConfigIssue,
  DEFAULT_ENVIRONMENT,
  formatIssue,
  type LoadedConfig,
  loadConfig,
} from '../config/index.js';
// Its own file, not the rollout plan's door: that would load the controller and the reports
// with every command.
import { allowedDurations, type DurationBounds, durationText, readDuration } from '../duration.js';
import { FlagrouteError } from '../errors.js';
import { createLogger } from '../logging.js';
import { createRouter, type Router } from '../router/index.js';
import { EXIT_CODES } from './exit-codes.js';

export { EXIT } from './exit-codes.js';

/** Options shared by the commands that load one environment. */
export interface EnvironmentOptions {
  env: string;
  configDir: string;
}

/** `--env <name>`, from `FLAGROUTE_ENV` when absent, else development. */
export function environmentOption(description = 'environment to load'): Option {
  return new Option('--env <name>', description).default(
    process.env.FLAGROUTE_ENV ?? DEFAULT_ENVIRONMENT,
    '$FLAGROUTE_ENV, else development',
  );
}

/** Adds `--env` and `--config-dir` to a command. */
export function withEnvironmentOptions(command: Command): Command {
  return command
    .addOption(environmentOption())
    .option('--config-dir <dir>', 'directory holding environments/ and rules/', '.');
}

/** Prints issues, one `file:line:column: message` a line, on stderr. */
export function printIssues(issues: readonly ConfigIssue[]): void {
  for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n`);
}

/** A router for a command: quiet logs (warnings and worse on stderr), no file watching. */
export async function routerFor(
  options: EnvironmentOptions,
  logLevel: 'warn' | 'info' = 'warn',
): Promise<Router> {
  return createRouter({
    configDir: options.configDir,
    environment: options.env,
    logger: createLogger(logLevel),
    watch: false,
  });
}

/** Parses a whole number option, or throws a usage error naming the flag. */
export function positiveInteger(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) {
      throw new UsageError(
        `${flag} must be a whole number of at least 1, got ${JSON.stringify(value)}`,
      );
    }
    return parsed;
  };
}

/**
 * Parses a number option that must pass `check`, or throws a usage error naming the flag and
 * what is allowed.
 */
export function checkedNumber(flag: string, check: (value: number) => boolean, allowed: string) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
      throw new UsageError(`${flag} must be ${allowed}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
}

/** Parses `--port`: a whole number from 0 (a free port) to 65535. */
export function port(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > 65_535) {
    throw new UsageError(
      `--port must be a whole number from 0 to 65535, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

/**
 * A duration option (`250ms`, `30s`, `15m`, `1h`, `2d`; see {@link readDuration}), parsed into
 * milliseconds within the flag's own `bounds`, with a usage error naming the flag, what was given
 * and what the flag takes. Its default, if it has one, is shown as a duration the flag takes (shown in
 * milliseconds, `3600000`, it was a value the flag itself refuses).
 */
export function durationOption(
  flags: string,
  description: string,
  defaultMs: number | undefined,
  bounds: DurationBounds,
): Option {
  const flag = flags.split(' ')[0]!;
  const option = new Option(flags, description).argParser((value: string): number => {
    const ms = readDuration(value, bounds);
    if (ms === undefined) {
      throw new UsageError(
        `${flag} must be ${allowedDurations(bounds)}, got ${JSON.stringify(value)}`,
      );
    }
    return ms;
  });
  return defaultMs === undefined ? option : option.default(defaultMs, durationText(defaultMs));
}

/** A mistake in how a command was called. */
export class UsageError extends FlagrouteError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/**
 * Loads one environment for a command; on a configuration problem prints every issue, sets
 * exit code 1 and returns undefined.
 */
export async function loadForCommand(
  options: EnvironmentOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedConfig | undefined> {
  try {
    return await loadConfig({ configDir: options.configDir, environment: options.env, env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printIssues(error.issues);
    process.exitCode = EXIT_CODES[error.code];
    return undefined;
  }
}
