import type { Command } from 'commander';
import { DEFAULT_ENVIRONMENT } from '../../config/index.js';
import {
  cappingFromText,
  percentilesFromText,
  type TailOptions,
  tailSettingsOf,
} from '../../experiment/index.js';
import { loadForCommand } from '../shared.js';

/** The flags of `experiment report` for the heavy-tailed metrics. */
export interface TailFlags {
  cap?: string[];
  tailPercentiles?: string[];
  configDir?: string;
  env?: string;
}

/** Adds `--cap`, `--tail-percentiles` and `--config-dir` (the environment's `experiment:` block). */
export function withTailFlags(command: Command): Command {
  return command
    .option(
      '--cap <metric=percentile...>',
      "winsorize response_time or cost_per_query at this percentile of each arm's values before the users' means (response_time=99)",
    )
    .option(
      '--tail-percentiles <percentiles...>',
      "the percentiles of response time whose difference the tail test gives (default 95 99, or the environment's)",
    )
    .option(
      '--config-dir <dir>',
      "read capping and the tail percentiles from the environment's experiment: block (--env names it)",
    );
}

/**
 * The tail options the flags give: the environment file's `experiment:` block (with
 * `--config-dir`), then `--cap` and `--tail-percentiles` over it, checked in the flags' names.
 * Undefined when the environment does not load (its issues are printed, the exit code set).
 */
export async function tailOptionsFromFlags(flags: TailFlags): Promise<TailOptions | undefined> {
  const options: TailOptions = {};
  if (flags.configDir !== undefined) {
    const env = flags.env ?? process.env.FLAGROUTE_ENV ?? DEFAULT_ENVIRONMENT;
    const config = await loadForCommand({ configDir: flags.configDir, env }, process.env);
    if (!config) return undefined;
    const block = config.settings.experiment;
    options.capping = { ...block.capping };
    options.tailPercentiles = [...block.tail_percentiles];
  }
  if (flags.cap !== undefined) options.capping = cappingFromText(flags.cap);
  if (flags.tailPercentiles !== undefined)
    options.tailPercentiles = percentilesFromText(flags.tailPercentiles);
  tailSettingsOf(options, 'flag');
  return options;
}
