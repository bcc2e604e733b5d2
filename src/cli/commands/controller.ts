import { constants } from 'node:os';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { LONGEST_TIMER_MS } from '../../duration.js';
import { createLogger } from '../../logging.js';
import {
  defaultStateDir,
  metricsSourceOf,
  RolloutController,
  runController,
} from '../../rollout-plan/index.js';
import {
  durationOption,
  type EnvironmentOptions,
  port,
  withEnvironmentOptions,
} from '../shared.js';
import { metricsSpecOf } from './metrics-flag.js';
import {
  openRuntimeStoreOf,
  postgresMetricsOf,
  storeOption,
  warnOfPasswordOnCommandLine,
} from './store.js';

/** The flags that `flagroute controller` and `flagroute serve --controller` share. */
export interface ControllerFlags {
  metrics?: string;
  interval: number;
  stateDir?: string;
  leaseTtl: number;
}

/** Adds the controller's flags (`--interval`, `--state-dir`, `--lease-ttl`) to a command. */
export function withControllerOptions(command: Command): Command {
  return command
    .addOption(
      durationOption('--interval <duration>', 'time between looks at the plan', 60_000, {
        min: 100,
        max: LONGEST_TIMER_MS,
      }),
    )
    .option(
      '--state-dir <dir>',
      'where the plan state, the lease and queued commands live (default: state/ in the config directory)',
    )
    .addOption(
      durationOption(
        '--lease-ttl <duration>',
        'how long the lease lasts without a heartbeat; a standby takes over after it',
        30_000,
        { min: 1_000, max: LONGEST_TIMER_MS },
      ),
    );
}

/**
 * Resolves with the signal once SIGTERM or SIGINT arrives, aborting `abort`. A second signal
 * while the shutdown it started runs goes to `again` (see {@link exitOnRepeat}): without a
 * listener, Node's default would end the process there and then, without a word.
 */
export function stopOnSignals(
  abort: AbortController,
  again: (signal: NodeJS.Signals) => void,
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.on('SIGINT', again);
      process.on('SIGTERM', again);
      abort.abort();
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * What a second SIGTERM or SIGINT does during a shutdown: the person insists (Ctrl-C pressed
 * twice), so the process logs that it stops without waiting for `skipped`, and exits at once
 * with 128 + the signal's number, as a shell reports a process the signal ended.
 */
export function exitOnRepeat(
  logger: Pick<Logger, 'warn'>,
  skipped: string,
): (signal: NodeJS.Signals) => void {
  return (signal) => {
    logger.warn(
      { signal },
      `${signal} received again while shutting down: exiting now, without waiting for ${skipped}`,
    );
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
}

/** `flagroute controller`: one environment's rollout controller, until SIGTERM or SIGINT. */
export function controllerCommand(program: Command): void {
  withControllerOptions(
    withEnvironmentOptions(
      program
        .command('controller')
        .description(
          "run the environment's rollout controller: a look every --interval until SIGTERM or SIGINT (then it releases its lease and exits 0); a second controller stands by and takes over",
        ),
    ),
  )
    .requiredOption(
      '--metrics <source>',
      'prometheus=URL (the fleet, per request; a bare prometheus reads FLAGROUTE_PROMETHEUS_URL, whose user and password go as basic auth), events=DIR (an outcome event log) or postgres (the events in the store, per user; with --store)',
    )
    .option('--once', 'make one look and exit (refused while another controller holds the lease)')
    .option(
      '--port <n>',
      'serve /healthz, /readyz (ready, standby or degraded) and /metrics on this port (0 picks a free one)',
      port,
    )
    .option('--host <host>', 'address of --port', '127.0.0.1')
    .addOption(storeOption())
    .action(
      async (
        flags: EnvironmentOptions &
          ControllerFlags & { metrics: string; once?: boolean; port?: number; host: string },
        command: Command,
      ) => {
        const abort = new AbortController();
        const logger = createLogger('info');
        let again = exitOnRepeat(logger, 'the look in progress or the release of its lease');
        void stopOnSignals(abort, (signal) => again(signal)).then((signal) =>
          logger.info({ signal }, `${signal} received: stopping after the look in progress`),
        );
        const stored = await postgresMetricsOf(command, flags.env, flags.metrics);
        const source = stored ?? metricsSourceOf(metricsSpecOf(flags.metrics));
        warnOfPasswordOnCommandLine(command, logger);
        const store = await openRuntimeStoreOf(command, flags.env, logger);
        const controller = await RolloutController.open({
          configDir: flags.configDir,
          environment: flags.env,
          stateDir: flags.stateDir ?? defaultStateDir(flags.configDir),
          source,
          logger,
          leaseTtlMs: flags.leaseTtl,
          standby: !flags.once,
          ...(store ? { store } : {}),
        }).catch(async (error: unknown) => {
          await store?.close();
          await stored?.close();
          throw error;
        });
        try {
          if (flags.once) {
            const state = await controller.look();
            process.stdout.write(
              `rollout plan of ${flags.env}: ${state.phase} (${state.reason})\n`,
            );
            return;
          }
          // Loaded on use: without --port the controller starts without fastify.
          const endpoint =
            flags.port === undefined
              ? undefined
              : await (await import('../../server/index.js')).serveControllerEndpoint(controller, {
                  port: flags.port,
                  host: flags.host,
                });
          try {
            logger.info(
              { environment: flags.env, metrics: source.name, holder: controller.holder },
              `rollout controller of ${flags.env} running (${controller.role}); a look every ${flags.interval / 1000} s, lease ${flags.leaseTtl / 1000} s${endpoint ? `; /healthz, /readyz and /metrics at ${endpoint.url}` : ''}`,
            );
            await runController(controller, { intervalMs: flags.interval, signal: abort.signal });
          } finally {
            await endpoint?.close();
          }
        } finally {
          await controller.close();
          await store?.close();
          await stored?.close();
        }
        logger.info(
          { environment: flags.env },
          `rollout controller of ${flags.env} stopped; its lease is released`,
        );
        // Nothing is left undone: a signal now only hastens the exit under way.
        again = () => process.exit(0);
      },
    );
}
