import type { Command } from 'commander';
import { COHORTS } from '../../decision/index.js';
import { type SimulationReport, simulate } from '../../simulation/index.js';
import {
  type EnvironmentOptions,
  positiveInteger,
  routerFor,
  withEnvironmentOptions,
} from '../shared.js';

interface SimulateFlags extends EnvironmentOptions {
  users: number;
  queryType?: string;
  region?: string;
  query?: string;
  seed: string;
  json?: boolean;
}

/** `flagroute simulate`: routes synthetic users and compares the split with the configured one. */
export function simulateCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('simulate')
      .description(
        'route N synthetic users and compare the split with the expected one (chi-square)',
      ),
  )
    .requiredOption('--users <n>', 'number of synthetic users', positiveInteger('--users'))
    .option('--query-type <type>', 'query type of every synthetic query')
    .option('--region <region>', 'region of every synthetic user')
    .option('--query <text>', 'query text of every synthetic query')
    .option('--seed <text>', 'prefix of the synthetic user ids', 'sim-user')
    .option('--json', 'print JSON')
    .action(async (flags: SimulateFlags) => {
      const router = await routerFor(flags);
      const report = await simulate(router, flags);
      await router.close();
      process.stdout.write(
        flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${describeReport(report)}\n`,
      );
    });
}

const percent = (value: number) => `${(value * 100).toFixed(2)} %`.padStart(9);

/** The report as a product owner reads it. */
function describeReport(report: SimulationReport): string {
  const { backends, cohorts, chiSquare: fit } = report;
  const lines = [
    `simulated ${report.users} users in ${report.environment} (config ${report.configVersion}), rollout ${report.rolloutPercentage} %, A/B testing ${report.abTesting ? 'on' : 'off'}`,
    `backends: lightrag ${backends.lightrag}, perplexity ${backends.perplexity}`,
    `reasons: ${Object.entries(report.reasons)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ')}`,
  ];
  if (!fit) {
    lines.push('', 'no decision reached cohort assignment, so there is no split to test');
    return lines.join('\n');
  }
  lines.push('', 'cohort        count      share   expected');
  for (const cohort of COHORTS) {
    if (!report.abTesting && cohort === 'perplexity') continue;
    const row = cohorts[cohort];
    lines.push(
      `${cohort.padEnd(10)} ${String(row.count).padStart(8)} ${percent(row.share)} ${percent(row.expected)}`,
    );
  }
  const verdict =
    fit.pValue < 0.01
      ? 'the split differs from the configured one'
      : 'consistent with the configured split';
  lines.push(
    '',
    `chi-square ${fit.statistic.toFixed(3)} with ${fit.dof} degrees of freedom, p = ${fit.pValue.toFixed(4)}: ${verdict}`,
  );
  return lines.join('\n');
}
