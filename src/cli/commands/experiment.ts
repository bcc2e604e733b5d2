import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  analyzeExperiment,
  EXPERIMENT_SETTING_FIELDS,
  optionsFromText,
  planFromData,
  renderReportHtml,
  renderReportText,
  settingsOf,
} from '../../experiment/index.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../../metrics/index.js';
import { checkedNumber, UsageError } from '../shared.js';
import { readData, type SourceFlags, withSources } from './experiment-sources.js';

type ReportFlags = SourceFlags & Record<string, unknown> & { json?: boolean; html?: string };

interface PlanFlags extends SourceFlags {
  metric: string;
  mde: number;
  baselineMean?: number;
  baselineSd?: number;
  alpha?: string;
  power?: number;
  unitsPerDay?: number;
  json?: boolean;
}

/** The report's settings as flags, from the one settings table (`--unit` is a source flag). */
function withSettings(command: Command): Command {
  for (const field of EXPERIMENT_SETTING_FIELDS) {
    if (field.option === 'unit') continue;
    const value =
      field.kind === 'boolean' ? '' : field.kind === 'metrics' ? ' <metrics...>' : ' <value>';
    command.option(`${field.flag}${value}`, field.description);
  }
  return command;
}

/** The settings flags given, by flag name, for {@link optionsFromText}. */
function settingFlags(flags: ReportFlags): Record<string, string | string[] | boolean | undefined> {
  const given: Record<string, string | string[] | boolean | undefined> = {};
  for (const field of EXPERIMENT_SETTING_FIELDS) {
    if (field.option === 'unit') continue;
    given[field.flag] = flags[field.option] as string | string[] | boolean | undefined;
  }
  return given;
}

/** `flagroute experiment report` and `flagroute experiment plan`. */
export function experimentCommands(program: Command): void {
  const experiment = program
    .command('experiment')
    .description('A/B statistics: LightRAG against Perplexity');
  withSettings(
    withSources(
      experiment
        .command('report')
        .description('compare the arms on every metric and name a winner'),
    ),
  )
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write the report as one self-contained HTML file')
    .action(async (flags: ReportFlags) => {
      const options = optionsFromText(settingFlags(flags), 'flag', 'experiment report');
      settingsOf(options, 'flag');
      const report = analyzeExperiment(await readData(flags), options);
      if (flags.html !== undefined) writeFileSync(flags.html, renderReportHtml(report));
      process.stdout.write(
        flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReportText(report)}\n`,
      );
    });

  withSources(
    experiment
      .command('plan')
      .description('units per arm for 80 % power, and the days it takes at current traffic'),
  )
    .requiredOption('--metric <metric>', 'the metric to power the test for')
    .requiredOption(
      '--mde <relative>',
      'smallest relative change to detect (0.05 = 5 %)',
      checkedNumber('--mde', (m) => m > 0, 'above 0'),
    )
    .option(
      '--baseline-mean <x>',
      "the baseline's per-unit mean (default: from the data)",
      checkedNumber('--baseline-mean', (x) => x !== 0, 'a non-zero number'),
    )
    .option(
      '--baseline-sd <x>',
      "the baseline's per-unit standard deviation (default: from the data)",
      checkedNumber('--baseline-sd', (x) => x > 0, 'above 0'),
    )
    .option('--alpha <a>', 'significance level (default 0.05)')
    .option(
      '--power <p>',
      'power (default 0.8)',
      checkedNumber('--power', (p) => p > 0.5 && p < 1, 'above 0.5 and below 1'),
    )
    .option(
      '--units-per-day <n>',
      'traffic entering the experiment per day, both arms (default: from the events)',
      checkedNumber('--units-per-day', (n) => n > 0, 'above 0'),
    )
    .option('--json', 'print JSON')
    .action(async (flags: PlanFlags) => {
      if (!(OUTCOME_METRICS as readonly string[]).includes(flags.metric)) {
        throw new UsageError(
          `--metric must be one of ${OUTCOME_METRICS.join(', ')}, got ${JSON.stringify(flags.metric)}`,
        );
      }
      const metric = flags.metric as OutcomeMetric;
      // alpha is read and checked as the report reads it.
      const { alpha } = settingsOf(
        optionsFromText({ '--alpha': flags.alpha }, 'flag', 'experiment plan'),
        'flag',
      );
      const sourced =
        flags.events !== undefined || flags.stats !== undefined || flags.prometheus !== undefined;
      const plan = planFromData(sourced ? await readData(flags) : null, {
        metric,
        mde: flags.mde,
        alpha,
        ...(flags.baselineMean === undefined ? {} : { baselineMean: flags.baselineMean }),
        ...(flags.baselineSd === undefined ? {} : { baselineSd: flags.baselineSd }),
        ...(flags.power === undefined ? {} : { power: flags.power }),
        ...(flags.unitsPerDay === undefined ? {} : { unitsPerDay: flags.unitsPerDay }),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const days =
        plan.days === null
          ? 'traffic unknown (give --units-per-day or --events)'
          : `about ${plan.days.toFixed(1)} days at ${Math.round(plan.units_per_day!)} units a day`;
      process.stdout.write(
        `${metric}: ${plan.units_per_arm} units per arm (${plan.units_total} in all) to detect a ${(plan.mde * 100).toFixed(1)} % change (${plan.absolute_mde.toPrecision(3)} on a baseline mean of ${plan.baseline_mean.toPrecision(4)}, sd ${plan.baseline_sd.toPrecision(4)}) with ${(plan.power * 100).toFixed(0)} % power at alpha ${plan.alpha}; ${days}\n`,
      );
    });
}
