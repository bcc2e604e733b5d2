import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { FlagrouteError } from '../../errors.js';
import {
  type AnalysisUnit,
  checkStats,
  type ExperimentStats,
  type ReadEvents,
  readEventFiles,
  statsFromPrometheus,
} from '../../experiment/index.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../../metrics/index.js';
import { checkedNumber, UsageError } from '../shared.js';

/** The data flags of `experiment report` and `experiment plan`. */
export interface SourceFlags {
  events?: string[];
  stats?: string;
  prometheus?: string;
  range?: string;
  unit?: AnalysisUnit;
}

/** `--alpha` of both subcommands. */
export const alpha = checkedNumber('--alpha', (a) => a > 0 && a < 0.5, 'above 0 and below 0.5');

/** A parser of a metric flag, naming the flag when the value is none of the metrics. */
export function metricName(flag: string) {
  return (text: string): OutcomeMetric => {
    if (!(OUTCOME_METRICS as readonly string[]).includes(text)) {
      throw new UsageError(
        `${flag} must be one of ${OUTCOME_METRICS.join(', ')}, got ${JSON.stringify(text)}`,
      );
    }
    return text as OutcomeMetric;
  };
}

function unitName(text: string): AnalysisUnit {
  if (text !== 'request' && text !== 'user') {
    throw new UsageError(`--unit must be request or user, got ${JSON.stringify(text)}`);
  }
  return text;
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
    .option('--range <window>', 'with --prometheus: only the increase over this window (24h, 30m)')
    .option(
      '--unit <unit>',
      'request or user (default: user when every event names its user)',
      unitName,
    );
}

/** The data a report reads, from exactly one source. */
export async function readSource(
  flags: SourceFlags,
): Promise<{ stats?: ExperimentStats; events?: ReadEvents }> {
  const given = [flags.events, flags.stats, flags.prometheus].filter(
    (source) => source !== undefined,
  );
  if (given.length !== 1) {
    throw new UsageError(
      'name exactly one source: --events FILE..., --stats FILE or --prometheus URL',
    );
  }
  if (flags.range !== undefined && flags.prometheus === undefined) {
    throw new UsageError('--range applies to --prometheus only');
  }
  if (flags.prometheus !== undefined) {
    if (flags.unit === 'user')
      throw new UsageError('Prometheus holds request-level statistics only; drop --unit user');
    return {
      stats: await statsFromPrometheus(
        flags.prometheus,
        flags.range === undefined ? {} : { range: flags.range },
      ),
    };
  }
  if (flags.stats !== undefined) return { stats: readStatsFile(flags.stats) };
  return { events: await readEvents(flags.events!) };
}

function readStatsFile(file: string): ExperimentStats {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FlagrouteError('INVALID_DATA', `${file}: ${(error as Error).message}`);
  }
  const checked = checkStats(value);
  if (!checked.ok)
    throw new FlagrouteError(
      'INVALID_DATA',
      `${file}: ${checked.problem} (see schemas/experiment-stats.schema.json)`,
    );
  return checked.stats;
}

/** Reads event files, with a progress line on a terminal for inputs over 64 MiB. */
async function readEvents(files: string[]): Promise<ReadEvents> {
  let total = 0;
  for (const file of files) {
    try {
      total += statSync(file).size;
    } catch {
      // The reader names the file and what is wrong with it.
    }
  }
  const tty = process.stderr.isTTY === true && total > 64 * 1024 * 1024;
  let done = 0;
  let shown = -1;
  const progress = tty
    ? (bytes: number) => {
        done += bytes;
        const percent = Math.floor((done / total) * 100);
        if (percent === shown) return;
        shown = percent;
        const bar = '#'.repeat(Math.floor(percent / 4)).padEnd(25, '.');
        process.stderr.write(`\rreading events [${bar}] ${percent} %`);
      }
    : undefined;
  const read = await readEventFiles(files, progress);
  if (tty) process.stderr.write('\n');
  for (const example of read.examples) {
    process.stderr.write(`${example.file}:${example.line}: skipped: ${example.problem}\n`);
  }
  if (read.malformed > read.examples.length) {
    process.stderr.write(`... and ${read.malformed - read.examples.length} more malformed lines\n`);
  }
  for (const { file, line } of read.duplicateExamples) {
    process.stderr.write(
      `${file}:${line}: decision id already seen on an earlier line (counted again)\n`,
    );
  }
  const moreDuplicates = read.duplicateDecisionIds - read.duplicateExamples.length;
  if (moreDuplicates > 0) {
    process.stderr.write(
      `... and ${moreDuplicates} more outcomes with a decision id seen before\n`,
    );
  }
  return read;
}
