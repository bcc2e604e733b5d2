import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_ENVIRONMENT } from '../../config/index.js';
import { durationText } from '../../duration.js';
import {
  type AnalysisUnit,
  type ExperimentData,
  type ExperimentSource,
  eventsSource,
  PROMETHEUS_RANGE_BOUNDS,
  prometheusSource,
  statsFileSource,
} from '../../experiment/index.js';
import { storeEventsSource } from '../../postgres/index.js';
import { durationOption, UsageError } from '../shared.js';
import { type GivenStore, givenStore, type StoreFlag, storeOption } from './store.js';

/** The data flags of `experiment report` and `experiment plan`. */
export interface SourceFlags {
  events?: string[];
  stats?: string;
  prometheus?: string;
  /** `--range` in milliseconds. */
  range?: number;
  unit?: string;
  store?: StoreFlag;
  env?: string;
  /** `experiment report`'s environment directory, which `--env` may also name. */
  configDir?: string;
}

/** Adds the data flags (`--events`, `--stats`, `--prometheus`, `--range`, `--unit`). */
export function withSources(command: Command): Command {
  return command
    .option('--events <files...>', 'outcome event logs (JSON lines; .gz accepted)')
    .option(
      '--stats <file>',
      'per-arm sufficient statistics (schemas/experiment-stats.schema.json)',
    )
    .option('--prometheus <url>', 'sum the sufficient statistics of every instance from Prometheus')
    .addOption(
      durationOption(
        '--range <duration>',
        'with --prometheus: only the increase over this window (24h, 30m)',
        undefined,
        PROMETHEUS_RANGE_BOUNDS,
      ),
    )
    .addOption(
      storeOption({
        absentReadsVariable: false,
        description:
          "the fleet's store (postgres://...; bare, the URL in FLAGROUTE_STORE): its event tables, summed per unit by PostgreSQL",
      }),
    )
    .option(
      '--env <name>',
      'with --store: the environment whose events to read; with --config-dir: whose experiment: block to use (default $FLAGROUTE_ENV, else development)',
    )
    .option('--unit <unit>', 'request or user (default: user when every event names its user)');
}

function unitOf(text: string | undefined): AnalysisUnit | undefined {
  if (text === undefined || text === 'request' || text === 'user') return text;
  throw new UsageError(`--unit must be request or user, got ${JSON.stringify(text)}`);
}

/** The store `--store` names (a URL, or bare for FLAGROUTE_STORE's). */
export function storeNamedBy(flag: StoreFlag): GivenStore {
  const given = givenStore(flag);
  if (given === undefined) {
    throw new UsageError('--store needs a URL such as postgres://user:password@host:5432/database');
  }
  return given;
}

/** The one source the flags name. */
function sourceOf(flags: SourceFlags): ExperimentSource {
  const given = [flags.events, flags.stats, flags.prometheus, flags.store].filter(
    (source) => source !== undefined,
  );
  if (given.length !== 1) {
    throw new UsageError(
      'name exactly one source: --events FILE..., --stats FILE, --prometheus URL or --store URL',
    );
  }
  if (flags.env !== undefined && flags.store === undefined && flags.configDir === undefined) {
    throw new UsageError('--env applies to --store and --config-dir only');
  }
  if (flags.store !== undefined) {
    const environment = flags.env ?? process.env.FLAGROUTE_ENV ?? DEFAULT_ENVIRONMENT;
    const { url, source } = storeNamedBy(flags.store);
    return storeEventsSource(url, { environment }, source);
  }
  if (flags.range !== undefined && flags.prometheus === undefined) {
    throw new UsageError('--range applies to --prometheus only');
  }
  if (flags.prometheus !== undefined) {
    if (flags.unit === 'user')
      throw new UsageError('Prometheus holds request-level statistics only; drop --unit user');
    return prometheusSource(
      flags.prometheus,
      flags.range === undefined ? {} : { range: durationText(flags.range) },
    );
  }
  if (flags.stats !== undefined) return statsFileSource(flags.stats);
  const onProgress = progressBar(flags.events!);
  return eventsSource(flags.events!, onProgress ? { onProgress } : {});
}

/** Reads the data the flags name; malformed event lines are shown on stderr. */
export async function readData(flags: SourceFlags): Promise<ExperimentData> {
  const unit = unitOf(flags.unit);
  const source = sourceOf(flags);
  const data = await source.read(unit);
  if (progressShown) process.stderr.write('\n');
  const examples = data.examples ?? [];
  for (const example of examples) {
    process.stderr.write(`${example.file}:${example.line}: skipped: ${example.problem}\n`);
  }
  const malformed = data.events?.malformed ?? 0;
  if (malformed > examples.length) {
    process.stderr.write(`... and ${malformed - examples.length} more malformed lines\n`);
  }
  const duplicates = data.duplicateExamples ?? [];
  for (const { file, line } of duplicates) {
    process.stderr.write(
      `${file}:${line}: decision id already seen on an earlier line (counted again)\n`,
    );
  }
  const moreDuplicates = (data.events?.duplicate_decision_ids ?? 0) - duplicates.length;
  if (moreDuplicates > 0) {
    process.stderr.write(
      `... and ${moreDuplicates} more outcomes with a decision id seen before\n`,
    );
  }
  return data;
}

let progressShown = false;

/** A progress line on a terminal for inputs over 64 MiB. */
function progressBar(files: string[]): ((bytes: number) => void) | undefined {
  let total = 0;
  for (const file of files) {
    try {
      total += statSync(file).size;
    } catch {
      // The reader names the file and what is wrong with it.
    }
  }
  if (!(process.stderr.isTTY === true && total > 64 * 1024 * 1024)) return undefined;
  progressShown = true;
  let done = 0;
  let shown = -1;
  return (bytes: number) => {
    done += bytes;
    const percent = Math.floor((done / total) * 100);
    if (percent === shown) return;
    shown = percent;
    const bar = '#'.repeat(Math.floor(percent / 4)).padEnd(25, '.');
    process.stderr.write(`\rreading events [${bar}] ${percent} %`);
  };
}
