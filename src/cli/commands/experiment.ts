import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatDuration } from '../../duration.js';
import {
  analyzeExperiment,
  EXPERIMENT_SETTING_FIELDS,
  optionsFromText,
  planFromData,
  renderReportHtml,
  renderReportText,
  settingsOf,
} from '../../experiment/index.js';
import { fileErrorReason } from '../../file-errors.js';
import { OUTCOME_METRICS, type OutcomeMetric } from '../../metrics/index.js';
import { renderShadowHtml, renderShadowText } from '../../shadow/index.js';
import { checkedNumber, UsageError } from '../shared.js';
import { shadowReportOf } from './experiment-shadow.js';
import { readData, type SourceFlags, withSources } from './experiment-sources.js';
import { type TailFlags, tailOptionsFromFlags, withTailFlags } from './experiment-tails.js';

type ReportFlags = SourceFlags &
  TailFlags &
  Record<string, unknown> & { json?: boolean; html?: string; shadow?: boolean };

interface PlanFlags extends SourceFlags {
  metric: string;
  mde: number;
  baselineMean?: number;
  baselineSd?: number;
  alpha?: string;
  power?: number;
  unitsPerDay?: number;
  guardrails?: string[];
  guardrailTolerance?: string;
  minUnitsPerArm?: string;
  json?: boolean;
}

/** Writes `--html`'s file; a path that cannot be written is said in words, naming the flag. */
function writeHtml(file: string, html: string): void {
  try {
    writeFileSync(file, html);
  } catch (error) {
    throw new UsageError(
      `cannot write --html ${file}: ${fileErrorReason(error, { writing: true })}`,
    );
  }
}

/** The report's settings as flags, from the one settings table (`--unit` is a source flag). */
function withSettingFlags(command: Command): Command {
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
  withTailFlags(
    withSettingFlags(
      withSources(
        experiment
          .command('report')
          .description('compare the arms on every metric and name a winner'),
      ),
    ),
  )
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write the report as one self-contained HTML file')
    .option(
      '--shadow',
      "the shadow duel: LightRAG's shadow calls against Perplexity's served answers, paired per query, per user",
    )
    .action(async (flags: ReportFlags) => {
      const options = optionsFromText(settingFlags(flags), 'flag', 'experiment report');
      settingsOf(options, 'flag');
      if (flags.shadow) {
        const shadow = await shadowReportOf(flags, options);
        if (flags.html !== undefined) writeHtml(flags.html, renderShadowHtml(shadow));
        process.stdout.write(
          flags.json ? `${JSON.stringify(shadow, null, 2)}\n` : `${renderShadowText(shadow)}\n`,
        );
        return;
      }
      const tails = await tailOptionsFromFlags(flags);
      if (!tails) return;
      const report = analyzeExperiment(await readData(flags), { ...options, ...tails });
      if (flags.html !== undefined) writeHtml(flags.html, renderReportHtml(report));
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
    .option(
      '--guardrails <metrics...>',
      'guardrails to plan for (default with data: the other four)',
    )
    .option('--guardrail-tolerance <t>', 'their non-inferiority margin, relative (default 0.05)')
    .option('--min-units-per-arm <n>', "the winner rule's minimum units per arm (default 100)")
    .option('--json', 'print JSON')
    .action(async (flags: PlanFlags) => {
      if (!(OUTCOME_METRICS as readonly string[]).includes(flags.metric)) {
        throw new UsageError(
          `--metric must be one of ${OUTCOME_METRICS.join(', ')}, got ${JSON.stringify(flags.metric)}`,
        );
      }
      const metric = flags.metric as OutcomeMetric;
      // alpha and the rule's settings are read and checked as the report reads them.
      const given = {
        '--primary': flags.metric,
        '--alpha': flags.alpha,
        '--guardrails': flags.guardrails,
        '--guardrail-tolerance': flags.guardrailTolerance,
        '--min-units-per-arm': flags.minUnitsPerArm,
      };
      const settings = settingsOf(optionsFromText(given, 'flag', 'experiment plan'), 'flag');
      const sourced =
        flags.events !== undefined || flags.stats !== undefined || flags.prometheus !== undefined;
      const plan = planFromData(sourced ? await readData(flags) : null, {
        metric,
        mde: flags.mde,
        alpha: settings.alpha,
        guardrailTolerance: settings.guardrailTolerance,
        minUnitsPerArm: settings.minUnitsPerArm,
        ...(flags.guardrails === undefined ? {} : { guardrails: settings.guardrails }),
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
          : `about ${plan.days >= 1 ? `${plan.days.toFixed(1)} days` : formatDuration(plan.days * 86_400_000)} at ${Math.round(plan.units_per_day!)} units a day`;
      const guardrails = plan.guardrails
        .map((g) => `${g.metric} ${(g.pass_probability * 100).toFixed(1)} %`)
        .join(', ');
      process.stdout.write(
        `${[
          `${metric}: ${plan.units_per_arm} units per arm (${plan.units_total} in all) for the winner rule to name a ${(plan.mde * 100).toFixed(1)} % change (${plan.absolute_mde.toPrecision(3)} on a baseline mean of ${plan.baseline_mean.toPrecision(4)}, sd ${plan.baseline_sd.toPrecision(4)}) with ${(plan.power * 100).toFixed(0)} % power at alpha ${plan.alpha}; ${days}`,
          `the primary alone would need ${plan.textbook_units_per_arm} (the textbook formula); the rule also needs at least ${plan.min_units_per_arm} per arm${guardrails ? ` and each guardrail shown within ${(plan.guardrail_tolerance * 100).toFixed(0)} % (chance at this n: ${guardrails})` : ''}`,
          ...plan.notes.map((note) => `note: ${note}`),
        ].join('\n')}\n`,
      );
    });
}
