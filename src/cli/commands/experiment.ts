import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  analyzeExperiment,
  type ExperimentOptions,
  type ExperimentReport,
  planExperiment,
  renderReportHtml,
  renderReportText,
  reportFromEvents,
  summarize,
} from '../../experiment/index.js';
import type { OutcomeMetric } from '../../metrics/index.js';
import { checkedNumber, UsageError } from '../shared.js';
import {
  alpha,
  metricName,
  readSource,
  type SourceFlags,
  withSources,
} from './experiment-sources.js';

interface ReportFlags extends SourceFlags {
  alpha?: number;
  primary?: OutcomeMetric;
  guardrails?: OutcomeMetric[];
  guardrailTolerance?: number;
  sequentialTuning?: number;
  srmThreshold?: number;
  json?: boolean;
  html?: string;
}

interface PlanFlags extends SourceFlags {
  metric: OutcomeMetric;
  mde: number;
  baselineMean?: number;
  baselineSd?: number;
  alpha?: number;
  power?: number;
  unitsPerDay?: number;
  json?: boolean;
}

function reportOptions(flags: ReportFlags): ExperimentOptions {
  const options: ExperimentOptions = {};
  if (flags.alpha !== undefined) options.alpha = flags.alpha;
  if (flags.primary !== undefined) options.primary = flags.primary;
  if (flags.guardrails !== undefined) options.guardrails = flags.guardrails;
  if (flags.guardrailTolerance !== undefined) options.guardrailTolerance = flags.guardrailTolerance;
  if (flags.sequentialTuning !== undefined) options.sequentialTuning = flags.sequentialTuning;
  if (flags.srmThreshold !== undefined) options.srmThreshold = flags.srmThreshold;
  if (flags.unit !== undefined) options.unit = flags.unit;
  return options;
}

/** `flagroute experiment report` and `flagroute experiment plan`. */
export function experimentCommands(program: Command): void {
  const experiment = program
    .command('experiment')
    .description('A/B statistics: LightRAG against Perplexity');
  withSources(
    experiment.command('report').description('compare the arms on every metric and name a winner'),
  )
    .option('--alpha <a>', 'significance level (default 0.05)', alpha)
    .option(
      '--primary <metric>',
      'the metric that decides the winner (default quality_score)',
      metricName('--primary'),
    )
    .option(
      '--guardrails <metrics...>',
      'metrics the winner must not be worse on (default: the other four)',
      (text: string, previous: OutcomeMetric[] = []) => [
        ...previous,
        metricName('--guardrails')(text),
      ],
    )
    .option(
      '--guardrail-tolerance <t>',
      'relative worsening a guardrail tolerates (default 0.05)',
      checkedNumber('--guardrail-tolerance', (t) => t >= 0, 'a number of 0 or more'),
    )
    .option(
      '--sequential-tuning <n>',
      'N* of the sequential interval (default 5000)',
      checkedNumber('--sequential-tuning', (n) => n > 0, 'above 0'),
    )
    .option(
      '--srm-threshold <p>',
      'sample-ratio p-value below which the split is a mismatch (default 0.001)',
      checkedNumber('--srm-threshold', (p) => p > 0 && p < 1, 'between 0 and 1'),
    )
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write the report as one self-contained HTML file')
    .action(async (flags: ReportFlags) => {
      const source = await readSource(flags);
      const options = reportOptions(flags);
      const report: ExperimentReport = source.stats
        ? analyzeExperiment(source.stats, options)
        : reportFromEvents(source.events!.accumulator, options, source.events!);
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
    .requiredOption('--metric <metric>', 'the metric to power the test for', metricName('--metric'))
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
    .option('--alpha <a>', 'significance level (default 0.05)', alpha)
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
      const plan = await planFor(flags);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const days =
        plan.days === null
          ? 'traffic unknown (give --units-per-day or --events)'
          : `about ${plan.days.toFixed(1)} days at ${Math.round(plan.units_per_day!)} units a day`;
      process.stdout.write(
        `${flags.metric}: ${plan.units_per_arm} units per arm (${plan.units_total} in all) to detect a ${(plan.mde * 100).toFixed(1)} % change (${plan.absolute_mde.toPrecision(3)} on a baseline mean of ${plan.baseline_mean.toPrecision(4)}, sd ${plan.baseline_sd.toPrecision(4)}) with ${(plan.power * 100).toFixed(0)} % power at alpha ${plan.alpha}; ${days}\n`,
      );
    });
}

async function planFor(flags: PlanFlags) {
  let mean = flags.baselineMean;
  let sd = flags.baselineSd;
  let unitsPerDay = flags.unitsPerDay;
  const sourced =
    flags.events !== undefined || flags.stats !== undefined || flags.prometheus !== undefined;
  if (sourced) {
    const source = await readSource(flags);
    const unit = flags.unit ?? (source.events?.accumulator.everyEventHasUnit ? 'user' : 'request');
    const stats = source.stats ?? source.events!.accumulator.stats(unit);
    const baseline = stats.arms.perplexity[flags.metric];
    const summary = baseline ? summarize(baseline) : null;
    if (summary) {
      mean ??= summary.mean;
      sd ??= Math.sqrt(summary.variance);
    }
    const accumulator = source.events?.accumulator;
    if (unitsPerDay === undefined && accumulator && accumulator.lastTime > accumulator.firstTime) {
      const days = (accumulator.lastTime - accumulator.firstTime) / 86_400_000;
      const units = stats.units
        ? stats.units.lightrag + stats.units.perplexity
        : accumulator.counts.analyzed;
      unitsPerDay = units / days;
    }
  }
  if (mean === undefined || sd === undefined) {
    throw new UsageError(
      `give --baseline-mean and --baseline-sd, or data with at least 2 baseline units carrying ${flags.metric}`,
    );
  }
  const plan = planExperiment({
    mde: flags.mde,
    baselineMean: mean,
    baselineSd: sd,
    ...(flags.alpha === undefined ? {} : { alpha: flags.alpha }),
    ...(flags.power === undefined ? {} : { power: flags.power }),
    ...(unitsPerDay === undefined ? {} : { unitsPerDay }),
  });
  return {
    metric: flags.metric,
    ...plan,
    baseline_mean: mean,
    baseline_sd: sd,
    units_per_day: unitsPerDay ?? null,
  };
}
