import type { Command } from 'commander';
import { DecisionTokens, parseDecisionKeys } from '../../decision-tokens/index.js';
import { createLogger } from '../../logging.js';
import {
  durationOption,
  type EnvironmentOptions,
  port,
  UsageError,
  withEnvironmentOptions,
} from '../shared.js';
import {
  type ControllerFlags,
  exitOnRepeat,
  stopOnSignals,
  withControllerOptions,
} from './controller.js';
import { metricsSpecOf } from './metrics-flag.js';
import {
  heartbeatOption,
  openEventStoreOf,
  openRuntimeStoreOf,
  postgresMetricsOf,
  storeOption,
  warnOfPasswordOnCommandLine,
} from './store.js';

/** The longest a SIGTERM waits for requests in flight before the process exits anyway. */
const DRAIN_LIMIT_MS = 5_000;

type ServeFlags = EnvironmentOptions &
  ControllerFlags & {
    port: number;
    host: string;
    eventsDir?: string;
    controller?: boolean;
    anonymousOutcomes?: boolean;
    heartbeat: number;
    decisionTokenTtl: number;
  };

/**
 * The fleet's decision tokens, from `FLAGROUTE_DECISION_KEY` (never from argv: a command line
 * is visible to every user of the machine); none without it.
 */
function decisionTokensOf(ttlMs: number): DecisionTokens | undefined {
  const text = process.env.FLAGROUTE_DECISION_KEY;
  if (text === undefined || text.trim() === '') return undefined;
  return new DecisionTokens({ keys: parseDecisionKeys(text), ttlMs });
}

/** The controller's flags given without `--controller`: a mistake, not a silent no-op. */
function strayControllerFlags(command: Command): string[] {
  return ['metrics', 'interval', 'stateDir', 'leaseTtl']
    .filter((key) => command.getOptionValueSource(key) === 'cli')
    .map((key) => `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`);
}

/** `flagroute serve`: the HTTP service (OFREP, /v1, admin, health) over one router. */
export function serveCommand(program: Command): void {
  withControllerOptions(
    withEnvironmentOptions(
      program
        .command('serve')
        .description(
          'serve decisions and outcomes over HTTP: OFREP (/ofrep/v1), /v1, /healthz, /readyz; outcomes with FLAGROUTE_INGEST_TOKEN; admin routes with FLAGROUTE_ADMIN_TOKEN; with --controller, the rollout controller too',
        ),
    )
      .option('--port <n>', 'port to listen on (0 picks a free one)', port, 8016)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option(
        '--events-dir <dir>',
        'write every outcome to daily JSON-lines files (the outcome event log)',
      )
      .option(
        '--anonymous-outcomes',
        'take outcomes from clients without FLAGROUTE_INGEST_TOKEN (a trial only: they act on this process, never on the environment file; not with --events-dir or --controller)',
      )
      .addOption(
        durationOption(
          '--decision-token-ttl <duration>',
          'with FLAGROUTE_DECISION_KEY: how long a decision token takes its outcome',
          60 * 60 * 1000,
          { min: 1_000, max: 30 * 86_400_000 },
        ),
      )
      .option(
        '--controller',
        "run the environment's rollout controller in this process (a standby while another holds the lease)",
      )
      .addOption(storeOption())
      .addOption(heartbeatOption())
      .option(
        '--metrics <source>',
        "with --controller: the plan's metrics, router (this server's outcomes, the default), prometheus=URL, events=DIR or postgres (the store's events, per user; with --store)",
      ),
  ).action(async (options: ServeFlags, command: Command) => {
    const stray = options.controller ? [] : strayControllerFlags(command);
    if (stray.length > 0) {
      throw new UsageError(
        `${stray.join(', ')} ${stray.length === 1 ? 'needs' : 'need'} --controller`,
      );
    }
    if (options.anonymousOutcomes && (options.eventsDir !== undefined || options.controller)) {
      // The event log and the controller carry outcomes beyond this process: into reports, and
      // into the rollout (a controller's rollback is written to the environment file).
      throw new UsageError(
        `--anonymous-outcomes cannot go with ${options.eventsDir !== undefined ? '--events-dir' : '--controller'}: anonymous outcomes must not leave this process; set FLAGROUTE_INGEST_TOKEN instead`,
      );
    }
    const decisionTokens = decisionTokensOf(options.decisionTokenTtl);
    // Listen for signals before starting, so that none comes too early to stop cleanly. A
    // second one exits at once, through the server's logger once there is one.
    let again = (signal: NodeJS.Signals) =>
      exitOnRepeat(createLogger('info'), 'the start to finish')(signal);
    const stopped = stopOnSignals(new AbortController(), (signal) => again(signal));
    // Loaded on use: the other commands start without fastify.
    const { serve } = await import('../../server/index.js');
    // The runtime layer, the kill switch and the plan on PostgreSQL, shared by the fleet.
    const storeLogger = createLogger();
    warnOfPasswordOnCommandLine(command, storeLogger);
    const runtimeStore = await openRuntimeStoreOf(command, options.env, storeLogger);
    if (!runtimeStore && command.getOptionValueSource('heartbeat') === 'cli') {
      throw new UsageError(
        '--heartbeat needs --store (or FLAGROUTE_STORE): it tells a fleet store this instance is alive',
      );
    }
    // Exposures and outcomes in the store's tables: one outcome per decision, fleet-wide.
    const outcomeStore = runtimeStore ? await openEventStoreOf(command, options.env) : undefined;
    const storedMetrics =
      options.controller && options.metrics !== undefined
        ? await postgresMetricsOf(command, options.env, options.metrics)
        : undefined;
    const server = await serve({
      ...(runtimeStore ? { runtimeStore, heartbeatMs: options.heartbeat } : {}),
      ...(outcomeStore ? { outcomeStore } : {}),
      configDir: options.configDir,
      environment: options.env,
      port: options.port,
      host: options.host,
      adminToken: process.env.FLAGROUTE_ADMIN_TOKEN,
      // Never from argv: a command line is visible to every user of the machine.
      ingestToken: process.env.FLAGROUTE_INGEST_TOKEN,
      decisionTokens,
      anonymousOutcomes: options.anonymousOutcomes === true,
      ...(options.eventsDir === undefined ? {} : { eventsDir: options.eventsDir }),
      ...(options.controller
        ? {
            controller: {
              intervalMs: options.interval,
              leaseTtlMs: options.leaseTtl,
              ...(options.metrics === undefined
                ? {}
                : { metrics: storedMetrics ?? metricsSpecOf(options.metrics) }),
              ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
            },
          }
        : {}),
    }).catch(async (error: unknown) => {
      await outcomeStore?.close();
      await storedMetrics?.close();
      await runtimeStore?.close();
      throw error;
    });
    server.router.logger.info(
      { url: server.url },
      `flagroute serving ${server.router.environment} at ${server.url}${server.controller ? ` with its rollout controller (${server.controller.role})` : ''}`,
    );
    process.stdout.write(`listening on ${server.url}\n`);
    const unfinished = [
      'requests in flight',
      ...(server.eventLog ? ['the outcome event log'] : []),
      ...(server.controller ? ["the rollout controller's lease"] : []),
      ...(runtimeStore ? ['the store'] : []),
    ];
    again = exitOnRepeat(server.router.logger, unfinished.join(', '));
    const signal = await stopped;
    const { logger } = server.router;
    logger.info(
      { signal },
      `${signal} received: shutting down (no new requests; those in flight have ${DRAIN_LIMIT_MS / 1000} s${server.controller ? ', the rollout controller releases its lease' : ''})`,
    );
    const forced = setTimeout(() => {
      logger.warn({ signal }, `requests still in flight after ${DRAIN_LIMIT_MS / 1000} s: exiting`);
      process.exit(0);
    }, DRAIN_LIMIT_MS);
    forced.unref();
    await server.close();
    await outcomeStore?.close();
    await storedMetrics?.close();
    await runtimeStore?.close();
    logger.info({ signal }, `shutdown complete after ${signal}: flagroute serve exits`);
    // Nothing is left undone: a signal now only hastens the exit under way.
    again = () => process.exit(0);
  });
}
