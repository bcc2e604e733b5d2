import type { Backend } from '../config/types.js';
import { COHORTS, type Cohort, type Reason } from '../decision/types.js';
import type { Router } from '../router/router.js';
import { type ChiSquareResult, chiSquare } from '../statistics/chi-square.js';

/** What {@link simulate} routes: how many synthetic users, and what every query carries. */
export interface SimulateOptions {
  users: number;
  /** Prefix of the synthetic user ids (`<seed>-<n>`); the same seed gives the same users. */
  seed?: string;
  queryType?: string | undefined;
  region?: string | undefined;
  query?: string | undefined;
}

/** One cohort's count against its expected share. */
export interface CohortFit {
  count: number;
  /** Share of the users that reached assignment. */
  share: number;
  expected: number;
}

/** The split a router produced for synthetic users, against the configured one. */
export interface SimulationReport {
  environment: string;
  configVersion: string;
  users: number;
  rolloutPercentage: number;
  abTesting: boolean;
  backends: Record<Backend, number>;
  reasons: Partial<Record<Reason, number>>;
  cohorts: Record<Cohort, CohortFit>;
  /** Null when no decision reached cohort assignment (nothing to test). */
  chiSquare: ChiSquareResult | null;
}

/**
 * Routes `users` synthetic users through `router` and compares the cohort split with the one
 * the configuration asks for, with a chi-square goodness-of-fit test.
 */
export async function simulate(
  router: Router,
  options: SimulateOptions,
): Promise<SimulationReport> {
  const tally = await route(router, options);
  const abTesting = router.settings.enable_ab_testing;
  const expected = expectedShares(tally.percentage, abTesting);
  const cohortFit = (cohort: Cohort): CohortFit => ({
    count: tally.counts[cohort],
    share: tally.assigned ? tally.counts[cohort] / tally.assigned : 0,
    expected: expected[cohort],
  });
  const observed = COHORTS.map((cohort) => tally.counts[cohort]);
  return {
    environment: router.environment,
    configVersion: router.config.version,
    users: options.users,
    rolloutPercentage: tally.percentage,
    abTesting,
    backends: tally.backends,
    reasons: tally.reasons,
    cohorts: {
      lightrag: cohortFit('lightrag'),
      perplexity: cohortFit('perplexity'),
      control: cohortFit('control'),
    },
    chiSquare:
      tally.assigned > 0
        ? chiSquare(
            observed,
            COHORTS.map((cohort) => expected[cohort]),
          )
        : null,
  };
}

/** Decides for every synthetic user and counts backends, reasons and assigned cohorts. */
async function route(router: Router, options: SimulateOptions) {
  const counts: Record<Cohort, number> = { lightrag: 0, perplexity: 0, control: 0 };
  const backends: Record<Backend, number> = { lightrag: 0, perplexity: 0 };
  const reasons: Partial<Record<Reason, number>> = {};
  let assigned = 0;
  let percentage = router.settings.rollout_percentage;
  for (let index = 0; index < options.users; index += 1) {
    const decision = await router.decide({
      userId: `${options.seed ?? 'sim-user'}-${index}`,
      queryType: options.queryType,
      region: options.region,
      queryText: options.query,
    });
    backends[decision.backend] += 1;
    reasons[decision.reason] = (reasons[decision.reason] ?? 0) + 1;
    if (decision.reason === 'rollout_percentage' || decision.reason === 'user_cohort_assignment') {
      assigned += 1;
      percentage = decision.rolloutPercentage;
      if (decision.cohort) counts[decision.cohort] += 1;
    }
  }
  return { counts, backends, reasons, assigned, percentage };
}

/** The cohort shares a rollout percentage asks for. */
export function expectedShares(percentage: number, abTesting: boolean): Record<Cohort, number> {
  const share = percentage / 100;
  return abTesting
    ? { lightrag: share / 2, perplexity: share / 2, control: 1 - share }
    : { lightrag: share, perplexity: 0, control: 1 - share };
}
