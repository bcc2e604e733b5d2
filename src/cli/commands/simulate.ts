import type { Command } from 'commander';
import jstatModule from 'jstat';
import type { Cohort } from '../../routing/types.js';
import {
  type EnvironmentOptions,
  positiveInteger,
  routerFor,
  withEnvironmentOptions,
} from '../shared.js';

interface SimulateOptions extends EnvironmentOptions {
  users: number;
  queryType?: string;
  region?: string;
  query?: string;
  seed: string;
  json?: boolean;
}

/** Chi-square goodness of fit of observed counts against expected shares (summing to 1). */
export function chiSquare(
  observed: readonly number[],
  expectedShares: readonly number[],
): { statistic: number; dof: number; pValue: number } {
  const total = observed.reduce((sum, count) => sum + count, 0);
  let statistic = 0;
  let categories = 0;
  for (const [index, share] of expectedShares.entries()) {
    if (share <= 0) continue;
    categories += 1;
    const expected = share * total;
    statistic += (observed[index]! - expected) ** 2 / expected;
  }
  const dof = Math.max(0, categories - 1);
  const pValue = dof === 0 ? 1 : 1 - jstatModule.jStat.chisquare.cdf(statistic, dof);
  return { statistic, dof, pValue };
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
    .action(async (options: SimulateOptions) => {
      const router = await routerFor(options);
      const cohorts: Cohort[] = ['lightrag', 'perplexity', 'control'];
      const counts = { lightrag: 0, perplexity: 0, control: 0 };
      const backends = { lightrag: 0, perplexity: 0 };
      const reasons: Record<string, number> = {};
      let assigned = 0;
      let percentage = router.settings.rollout_percentage;
      for (let index = 0; index < options.users; index += 1) {
        const decision = await router.decide({
          userId: `${options.seed}-${index}`,
          queryType: options.queryType,
          region: options.region,
          queryText: options.query,
        });
        backends[decision.backend] += 1;
        reasons[decision.reason] = (reasons[decision.reason] ?? 0) + 1;
        if (
          decision.reason === 'rollout_percentage' ||
          decision.reason === 'user_cohort_assignment'
        ) {
          assigned += 1;
          percentage = decision.rolloutPercentage;
          if (decision.cohort) counts[decision.cohort] += 1;
        }
      }
      const ab = router.settings.enable_ab_testing;
      const share = percentage / 100;
      const expected: Record<Cohort, number> = ab
        ? { lightrag: share / 2, perplexity: share / 2, control: 1 - share }
        : { lightrag: share, perplexity: 0, control: 1 - share };
      const fit =
        assigned > 0
          ? chiSquare(
              cohorts.map((cohort) => counts[cohort]),
              cohorts.map((cohort) => expected[cohort]),
            )
          : null;
      const result = {
        environment: router.environment,
        configVersion: router.config.version,
        users: options.users,
        rolloutPercentage: percentage,
        abTesting: ab,
        backends,
        reasons,
        cohorts: Object.fromEntries(
          cohorts.map((cohort) => [
            cohort,
            {
              count: counts[cohort],
              share: assigned ? counts[cohort] / assigned : 0,
              expected: expected[cohort],
            },
          ]),
        ),
        chiSquare: fit,
      };
      await router.close();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const pct = (value: number) => `${(value * 100).toFixed(2)} %`.padStart(9);
      const lines = [
        `simulated ${options.users} users in ${router.environment} (config ${router.config.version}), rollout ${percentage} %, A/B testing ${ab ? 'on' : 'off'}`,
        `backends: lightrag ${backends.lightrag}, perplexity ${backends.perplexity}`,
        `reasons: ${Object.entries(reasons)
          .map(([reason, count]) => `${reason} ${count}`)
          .join(', ')}`,
      ];
      if (fit) {
        lines.push('', 'cohort        count      share   expected');
        for (const cohort of cohorts) {
          if (!ab && cohort === 'perplexity') continue;
          lines.push(
            `${cohort.padEnd(10)} ${String(counts[cohort]).padStart(8)} ${pct(counts[cohort] / assigned)} ${pct(expected[cohort])}`,
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
      } else {
        lines.push('', 'no decision reached cohort assignment, so there is no split to test');
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
