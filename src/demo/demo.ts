import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { type Clock, scaledClock } from '../clock.js';
import { FlagrouteError } from '../errors.js';
import { analyzeExperiment, liveSource } from '../experiment/index.js';
import type { OutcomeReport } from '../outcomes/index.js';
import type { PlanPhase, PlanState } from '../rollout-plan/plan-state.js';
import {
  type BackendProfile,
  profileOf,
  seededRandom,
  syntheticOutcome,
} from '../rollout-plan/synthetic-backends.js';
import { type RunningServer, serve } from '../server/serve.js';

/** The scenarios the demo can play. */
export const DEMO_SCENARIOS = ['healthy', 'latency-regression'] as const;
/** A demo scenario. */
export type DemoScenario = (typeof DEMO_SCENARIOS)[number];

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Directory whose `environments/` and `rules/` are copied (never edited). Default: the working directory. */
  configDir?: string;
  scenario?: DemoScenario;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Plan time per wall time: 360 (default) makes an hour's hold 10 seconds. */
  speed?: number;
  /** Simulated users' queries per second, wall time. Default 60. */
  queriesPerSecond?: number;
  /** The admin token the page's actions need; default one made up and written to a file. */
  adminToken?: string;
  /** Narration lines (stage advances, the verdict, the rollback). Default: none. */
  narrate?: (line: string) => void;
  logger?: Logger;
  seed?: number;
}

/** A running demo. */
export interface RunningDemo {
  url: string;
  dashboardUrl: string;
  /** The file holding the admin token (mode 0600), so it never appears in any output. */
  adminTokenFile: string;
  server: RunningServer;
  /** Stops the traffic and waits for the requests in flight. */
  pauseTraffic(): Promise<void>;
  resumeTraffic(): void;
  /** Resolves when the plan completes or rolls back. */
  finished: Promise<PlanPhase>;
  /** Stops everything and removes the temporary copy; the given configuration is untouched. */
  stop(): Promise<void>;
}

/** The demo environment: the guide's A/B split and triggers, a short plan that begins in the shadow. */
const DEMO_ENVIRONMENT = `# The demo's environment (a temporary copy): A/B tested, a plan that moves every few seconds.
integration_enabled: true
rollout_percentage: 0
enable_ab_testing: true
enable_circuit_breaker: true
circuit_breaker_threshold: 5
circuit_breaker_recovery_timeout: 300
enable_quality_metrics: true
min_quality_threshold: 0.6
user_hash_salt: demo-salt-not-a-secret
log_level: warn
rule_files:
  - rules/geography.yaml
rollback_triggers:
  error_rate: 0.05
  min_quality: 0.6
  on_circuit_breaker_open: true
  response_time_seconds: 10
  min_samples: 30
  persist: true
rollout_plan:
  stages:
    # First LightRAG answers in the shadow: every query Perplexity serves, no user sees it.
    - { shadow: true, hold: 30m, min_pairs: 100 }
    - { percentage: 10, hold: 1h, min_units: 25 }
    - { percentage: 30, hold: 1h, min_units: 40 }
    - { percentage: 60, hold: 1h, min_units: 60 }
    - { percentage: 100, hold: 1h }
  guardrails:
    metrics: [success_rate, quality_score]
`;

/**
 * The whole loop on one machine: `flagroute serve` with its rollout controller over a temporary
 * copy of the configuration, two synthetic backends with the guide's figures, and simulated
 * users sending queries over HTTP and reporting outcomes, on plan time accelerated `speed`
 * times (a stage's hour in 10 seconds by default). The plan starts with a shadow stage: the
 * users' service also calls LightRAG for each query picked for the shadow, serves Perplexity's
 * answer and reports the pair with a synthetic judge's preference. With `latency-regression`,
 * LightRAG slows to 14 s from 30 % and the p95 trigger rolls the plan back.
 */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const scenario = options.scenario ?? 'healthy';
  if (!(DEMO_SCENARIOS as readonly string[]).includes(scenario)) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `--scenario must be one of ${DEMO_SCENARIOS.join(', ')}, got ${JSON.stringify(scenario)}`,
    );
  }
  const speed = options.speed ?? 360;
  const narrate = options.narrate ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-demo-'));
  const removeOnExit = () => rmSync(dir, { recursive: true, force: true });
  let server: RunningServer | undefined;
  try {
    const source = options.configDir ?? process.cwd();
    await cp(join(source, 'environments'), join(dir, 'environments'), { recursive: true });
    await cp(join(source, 'rules'), join(dir, 'rules'), { recursive: true });
    await writeFile(join(dir, 'environments', 'demo.yaml'), DEMO_ENVIRONMENT);
    // Whatever ends the process (a crash, a closed pipe), the temporary copy goes with it.
    process.once('exit', removeOnExit);
    const adminToken = options.adminToken ?? randomBytes(18).toString('base64url');
    const adminTokenFile = join(dir, 'admin-token');
    await writeFile(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    const planStart = Date.UTC(2026, 0, 1, 9);
    // Plan time: the controller's holds, looks and waits all run `speed` times as fast.
    const clock = scaledClock(speed, planStart);
    server = await serve({
      configDir: dir,
      cwd: dir,
      environment: 'demo',
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      env: {},
      clock,
      adminToken,
      // The demo's simulated users post their outcomes without a credential, in a sandbox.
      anonymousOutcomes: true,
      logger: options.logger ?? pino({ level: 'silent' }),
      watch: { debounceMs: 20, stabilityMs: 20 },
      // A look every half second of wall time; commands come through this process, not a queue.
      controller: { intervalMs: 500 * speed, pollMs: 500 * speed },
    });
    const running = server;
    const controller = running.controller!;
    let resolveFinished: (phase: PlanPhase) => void = () => {};
    const finished = new Promise<PlanPhase>((resolve) => {
      resolveFinished = resolve;
    });
    controller.onTransition((notice) => {
      narrate(`[plan] ${notice.event}: ${notice.reason}`);
      if (notice.to === 'completed' || notice.to === 'rolled_back') resolveFinished(notice.to);
    });
    const traffic = startTraffic(running, scenario, options, clock, planStart);
    let verdict = '';
    const watcher = setInterval(() => {
      const next = analyzeExperiment(liveSource(running.router).readNow(), {
        sequential: true,
      }).verdict;
      if (next !== verdict) narrate(`[experiment] ${next}`);
      verdict = next;
      const shadow = shadowNarration(controller.state);
      if (shadow !== null) narrate(shadow);
    }, 3000);
    watcher.unref();
    narrate(`flagroute demo (${scenario}): the dashboard is at ${running.url}/dashboard`);
    await controller.command({ action: 'start', reason: `demo (${scenario})` });
    let stopping: Promise<void> | undefined;
    return {
      url: running.url,
      dashboardUrl: `${running.url}/dashboard`,
      adminTokenFile,
      server: running,
      pauseTraffic: () => traffic.pause(),
      resumeTraffic: () => traffic.resume(),
      finished,
      stop() {
        stopping ??= (async () => {
          clearInterval(watcher);
          await traffic.pause();
          await running.close();
          await rm(dir, { recursive: true, force: true });
          process.off('exit', removeOnExit);
        })();
        return stopping;
      },
    };
  } catch (error) {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
    process.off('exit', removeOnExit);
    throw error;
  }
}

/** Simulated users: a decision over HTTP, a synthetic backend call, the outcome over HTTP. */
function startTraffic(
  server: RunningServer,
  scenario: DemoScenario,
  options: DemoOptions,
  clock: Clock,
  planStart: number,
) {
  const random = seededRandom(options.seed ?? 7);
  const perTick = (options.queriesPerSecond ?? 60) / 20;
  const inFlight = new Set<Promise<void>>();
  let owed = 0;
  let timer: NodeJS.Timeout | undefined;
  const one = async () => {
    const user = Math.floor(random() * 5000);
    const userId = `demo-user-${user}`;
    // Each user lives in one region: a user whose region changed from query to query would be
    // a traveller between percentages, seen in both arms (the plan's multiple_exposures check).
    const region = user % 2 === 0 ? 'us_east' : 'europe';
    const decided = await fetch(`${server.url}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId, region }),
    });
    if (!decided.ok) return;
    const decision = (await decided.json()) as {
      decisionId: string;
      backend: string;
      shadow?: string;
    };
    const minute = (clock.now() - planStart) / 60_000;
    const percentage = server.router.settings.rollout_percentage;
    const profile = (backend: string) => profileOf(scenario, backend, percentage, minute);
    const outcome = syntheticOutcome(profile(decision.backend), random);
    const pair = decision.shadow === 'lightrag' ? shadowPair(outcome, profile, random) : {};
    await fetch(`${server.url}/v1/outcomes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decisionId: decision.decisionId, userId, ...outcome, ...pair }),
    }).then((response) => response.body?.cancel());
  };
  const tick = () => {
    owed += perTick;
    for (; owed >= 1; owed -= 1) {
      const request = one().catch(() => {});
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
  };
  const resume = () => {
    timer ??= setInterval(tick, 50);
  };
  resume();
  return {
    resume,
    async pause() {
      clearInterval(timer);
      timer = undefined;
      await Promise.all([...inFlight]);
    },
  };
}

/**
 * The shadow's half of a pair: LightRAG's answer to the same query (its synthetic backend), and
 * a synthetic judge who prefers the answer of clearly higher quality (a tie within 0.02).
 */
function shadowPair(
  served: OutcomeReport,
  profile: (backend: string) => BackendProfile,
  random: () => number,
): Pick<OutcomeReport, 'shadow' | 'preference'> {
  const shadow = syntheticOutcome(profile('lightrag'), random);
  if (shadow.quality === undefined || served.quality === undefined) return { shadow };
  const difference = shadow.quality - served.quality;
  const winner = difference > 0.02 ? 'lightrag' : difference < -0.02 ? 'perplexity' : 'tie';
  return { shadow, preference: { winner, judge: 'demo-judge' } };
}

/** What the shadow stage's last look saw on the same queries, or null outside it. */
function shadowNarration(state: PlanState): string | null {
  const look = state.lastLook;
  if (!look?.pairs) return null;
  const paired = look.guardrails.filter((reading) => reading.name.startsWith('paired:'));
  const judged = paired.map((reading) => `${reading.name.slice(7)} ${reading.note ?? ''}`);
  return `[shadow] ${look.pairs.pairs} pairs from ${look.pairs.users} users, LightRAG against Perplexity on the same queries: ${judged.join('; ')}`;
}
