import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../clock.js';
import { FlagrouteError } from '../errors.js';
import { createRouter } from '../router/create-router.js';
import type { Router } from '../router/router.js';
import { RolloutController } from './controller.js';
import { routerMetrics } from './metrics-sources.js';
import { runController } from './plan-loop.js';
import { isFinished, type PlanPhase, type TransitionEvent } from './plan-state.js';
import {
  hasRepeatUsers,
  profileOf,
  SCENARIOS,
  type Scenario,
  seededRandom,
  syntheticOutcome,
  syntheticPopulation,
} from './synthetic-backends.js';

export { SCENARIOS, type Scenario } from './synthetic-backends.js';

/** Options of {@link simulateRollout}. */
export interface RolloutSimulationOptions {
  /** The configuration to copy (it is never edited). */
  configDir: string;
  environment: string;
  scenario: Scenario;
  /** Seed of the synthetic users and backends. Default 1. */
  seed?: number;
  /** Queries per simulated minute. Default 150 (low-traffic: 1 every 30 minutes). */
  queriesPerMinute?: number;
  /** Users of the repeat-user scenarios (`aa-repeat-users`, `ramp`). Default 20,000. */
  population?: number;
  /** Simulated time limit. Default 3 days. */
  limitMs?: number;
}

/** One line of the simulated timeline. */
export interface TimelineEntry {
  /** ISO 8601 on the simulation's clock (which starts at 2026-01-01T00:00Z). */
  at: string;
  /** Simulated time since the start, like `5h 12m`. */
  elapsed: string;
  stage: number;
  percentage: number;
  /** The shadow share after it, on a shadow stage. */
  shadow?: number;
  event: TransitionEvent;
  reason: string;
}

/** What `flagroute rollout simulate --json` prints. */
export interface RolloutSimulation {
  scenario: Scenario;
  final: { phase: PlanPhase; percentage: number };
  timeline: TimelineEntry[];
  queries: number;
  /** Queries whose answer LightRAG served to a user. */
  servedByLightrag: number;
  /** Queries LightRAG answered in the shadow (the pairs of a shadow stage). */
  shadowed: number;
}

const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
/** How often the simulated controller looks (a real one looks every minute). */
const LOOK_EVERY = 5 * MINUTE;
/** How long the simulated person takes to approve a stage that asks. */
const APPROVAL_AFTER = 30 * MINUTE;

/**
 * Runs an environment's rollout plan against two synthetic backends on a simulated clock: the
 * real router decides every query, the real recorder takes every outcome, the real controller
 * and driver loop (`runController`, as in `flagroute controller`) judge and edit a temporary
 * copy of the configuration, looking every 5 simulated minutes. A stage needing approval is
 * approved by a simulated person 30 minutes after it asks.
 */
export async function simulateRollout(
  options: RolloutSimulationOptions,
): Promise<RolloutSimulation> {
  if (!(SCENARIOS as readonly string[]).includes(options.scenario)) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `--scenario must be one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(options.scenario)}`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-rollout-sim-'));
  try {
    await cp(join(options.configDir, 'environments'), join(dir, 'environments'), {
      recursive: true,
    });
    await cp(join(options.configDir, 'rules'), join(dir, 'rules'), { recursive: true });
    return await simulateIn(dir, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function simulateIn(
  dir: string,
  options: RolloutSimulationOptions,
): Promise<RolloutSimulation> {
  let now = START;
  const limit = START + (options.limitMs ?? 3 * 24 * 60 * MINUTE);
  // The repeat-user scenarios compare the arms: they need the Perplexity arm (A/B testing on).
  const env: Record<string, string> = hasRepeatUsers(options.scenario)
    ? { LIGHTRAG_ENABLE_AB_TESTING: 'true' }
    : {};
  const common = { configDir: dir, environment: options.environment, env, stabilityMs: 0 };
  const logger = pino({ level: 'silent' });
  const router = await createRouter({
    ...common,
    logger,
    clock: { now: () => now },
    watch: false,
    cwd: dir,
  });
  if (
    options.scenario === 'shadow-regression' &&
    !router.config.settings.rollout_plan.stages[0]!.shadow
  ) {
    await router.close();
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `--scenario shadow-regression plays a plan that starts with a shadow stage, and the plan of ${options.environment} does not: add { shadow: true, hold: 1h, min_pairs: 500 } as its first stage (docs/shadow.md)`,
    );
  }
  const traffic = simulatedTraffic(router, options, () => now);
  let controller: RolloutController | undefined;
  let askedAt: number | null = null;
  // Simulated time passes a minute at a time: the users' queries, and the person who approves.
  const clock: Clock = {
    now: () => now,
    async sleep(ms) {
      for (let minutes = Math.round(ms / MINUTE); minutes > 0 && now < limit; minutes -= 1) {
        now += MINUTE;
        await traffic.minute();
        if (controller?.state.phase !== 'awaiting_approval') continue;
        askedAt ??= now;
        if (now - askedAt < APPROVAL_AFTER) continue;
        askedAt = null;
        await controller.command({
          action: 'promote',
          reason: 'approved by the simulated product owner',
        });
      }
    },
  };
  controller = await RolloutController.open({
    ...common,
    clock,
    logger,
    source: routerMetrics(router),
  });
  const timeline: TimelineEntry[] = [];
  controller.onTransition((notice) => {
    timeline.push({
      at: notice.at,
      elapsed: elapsedOf(Date.parse(notice.at) - START),
      stage: notice.stage + 1,
      percentage: notice.percentage,
      ...(notice.shadow === undefined ? {} : { shadow: notice.shadow }),
      event: notice.event,
      reason: notice.reason,
    });
    // The router follows the file as a watching router would: before the next query.
    const { rollout_percentage, shadow } = router.settings;
    if (notice.percentage !== rollout_percentage || (notice.shadow ?? 0) !== shadow.percentage)
      traffic.reloadBeforeNext();
  });
  try {
    await controller.command({ action: 'start', reason: `simulation of ${options.scenario}` });
    await runController(controller, {
      intervalMs: LOOK_EVERY,
      pollMs: LOOK_EVERY,
      // A pause waits for a person, who is not simulated: the run ends there.
      until: (state) => isFinished(state.phase) || state.phase === 'paused' || now >= limit,
    });
  } finally {
    await controller.close();
    await router.close();
  }
  return {
    scenario: options.scenario,
    final: { phase: controller.state.phase, percentage: router.settings.rollout_percentage },
    timeline,
    ...traffic.counts(),
  };
}

/** The simulated users: `queriesPerMinute` queries a minute, each decided and its outcome recorded. */
function simulatedTraffic(router: Router, options: RolloutSimulationOptions, now: () => number) {
  const random = seededRandom(options.seed ?? 1);
  const perMinute = options.queriesPerMinute ?? (options.scenario === 'low-traffic' ? 1 / 30 : 150);
  // Every other scenario draws a new user for almost every query, as the guide's does.
  const population = hasRepeatUsers(options.scenario)
    ? syntheticPopulation(options.population ?? 20_000, random)
    : undefined;
  const counts = { queries: 0, servedByLightrag: 0, shadowed: 0 };
  let owed = 0;
  let reload = false;
  return {
    counts: () => ({ ...counts }),
    reloadBeforeNext() {
      reload = true;
    },
    async minute() {
      if (reload) {
        reload = false;
        await router.reload();
      }
      owed += perMinute;
      for (; owed >= 1; owed -= 1) {
        counts.queries += 1;
        const user = population?.next();
        const userId = user?.userId ?? `user-${Math.floor(random() * 1_000_000)}`;
        const decision = router.decideSync({ userId, requestId: `q${counts.queries}` });
        const profile = (backend: string) =>
          profileOf(
            options.scenario,
            backend,
            router.settings.rollout_percentage,
            (now() - START) / MINUTE,
          );
        const offset = user?.qualityOffset ?? 0;
        const outcome = syntheticOutcome(profile(decision.backend), random, offset);
        if (decision.backend === 'lightrag') counts.servedByLightrag += 1;
        // Picked for the shadow: the service also calls LightRAG, serves Perplexity's answer
        // and reports both (the same user, so the same per-user effect on both).
        const shadow =
          decision.shadow === 'lightrag'
            ? syntheticOutcome(profile('lightrag'), random, offset)
            : undefined;
        if (shadow) counts.shadowed += 1;
        router.recordOutcome(decision, { ...outcome, userId, ...(shadow ? { shadow } : {}) });
      }
    },
  };
}

function elapsedOf(ms: number): string {
  const minutes = Math.round(ms / MINUTE);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours}h ${String(minutes % 60).padStart(2, '0')}m` : `${minutes}m`;
}
