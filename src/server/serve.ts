import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { weakSaltWarning } from '../config/secrets.js';
import { OutcomeEventLog } from '../outcomes/index.js';
import {
  metricsSourceOf,
  type PlanMetricsSource,
  RolloutController,
  runController,
} from '../rollout-plan/index.js';
import { createRouter, type RouterOptions } from '../router/create-router.js';
import type { Router } from '../router/router.js';
import { type FleetMembership, isFleetStore } from '../runtime-store/index.js';
import { createServer, type ServerOptions } from './create-server.js';
import {
  INGEST_MODE_WARNINGS,
  outcomeIngestMode,
  TRUSTED_OUTCOMES_WARNING,
} from './outcome-ingest.js';

/** Options of {@link serve}. */
export interface ServeOptions extends ServerOptions {
  configDir?: string;
  environment?: string;
  /** Default 8016; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback); use 0.0.0.0 to listen on every interface. */
  host?: string;
  /** Variables for the `LIGHTRAG_*` overlay; default `process.env`. */
  env?: RouterOptions['env'];
  watch?: RouterOptions['watch'];
  /**
   * Base of file paths shown in messages and answers; default the config directory, so that
   * an answer names a file as `environments/production.yaml:3`, never by an absolute path.
   */
  cwd?: string;
  /**
   * How often this instance tells a fleet store it is alive (and which configuration and
   * runtime versions it serves), in ms. Default `DEFAULT_HEARTBEAT_MS` (5 s).
   */
  heartbeatMs?: number;
  /*
   * `outcomeStore` (from ServerOptions): the fleet's event store (a `PostgresEventStore`),
   * written as a sink too (exposures, outcomes recorded in process); the caller's to close,
   * after `close()`.
   */
  /** Write every outcome with a cohort to daily JSON-lines files here (the outcome event log). */
  eventsDir?: string;
  /**
   * Run the environment's rollout controller in this process: one look every `intervalMs` of
   * `clock`'s time (default a minute), its metrics from this router unless `metrics` names
   * `prometheus=URL` or `events=DIR`. While another controller holds the lease, this one stands
   * by and takes over when that lease is released or expires.
   */
  controller?: {
    /** `router` (default), `prometheus=URL`, `events=DIR`, or a source (the store's: `postgresMetrics`). */
    metrics?: string | PlanMetricsSource;
    intervalMs?: number;
    /** How often queued commands are taken between looks (see `runController`). */
    pollMs?: number;
    stateDir?: string;
    /** The lease's time to live (wall time). Default 30 s. */
    leaseTtlMs?: number;
  };
}

/** A running service: where it listens, and how to stop it. */
export interface RunningServer {
  url: string;
  router: Router;
  app: FastifyInstance;
  /** The rollout controller, when `controller` was asked for. */
  controller?: RolloutController;
  /** The outcome event log, when `eventsDir` was given. */
  eventLog?: OutcomeEventLog;
  /** Stops taking requests, lets those in flight finish, then releases the router. */
  close(): Promise<void>;
}

/** Starts the HTTP service over a new router watching the configuration (see `createServer`). */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const ingestMode = outcomeIngestMode(
    { token: options.ingestToken, anonymous: options.anonymousOutcomes },
    options.adminToken,
  );
  const router = await createRouter({
    ...(options.configDir !== undefined ? { configDir: options.configDir } : {}),
    ...(options.environment !== undefined ? { environment: options.environment } : {}),
    cwd: options.cwd ?? options.configDir ?? process.cwd(),
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.watch !== undefined ? { watch: options.watch } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.runtimeStore !== undefined ? { runtimeStore: options.runtimeStore } : {}),
  });
  const logger = options.logger ?? router.logger;
  const eventLog = await openEventLog(options, router, logger);
  // The fleet's event store takes exposures and in-process outcomes as a sink; posted outcomes
  // it writes before they are answered (createServer).
  if (options.outcomeStore) router.addOutcomeSink(options.outcomeStore);
  const saltWarning = weakSaltWarning(router.environment, router.settings.user_hash_salt);
  if (saltWarning !== undefined) logger.warn(saltWarning);
  logger.warn({ outcomeIngest: ingestMode }, INGEST_MODE_WARNINGS[ingestMode]);
  if (ingestMode !== 'off' && !options.decisionTokens) {
    logger.warn({ outcomeIngest: ingestMode, decisionKey: false }, TRUSTED_OUTCOMES_WARNING);
  }
  let controller: RolloutController | undefined;
  if (options.controller) {
    try {
      const { stateDir, leaseTtlMs } = options.controller;
      controller = await RolloutController.open({
        configDir: options.configDir ?? process.cwd(),
        environment: router.environment,
        source:
          typeof options.controller.metrics === 'object'
            ? options.controller.metrics
            : metricsSourceOf(options.controller.metrics ?? 'router', router),
        logger,
        standby: true,
        ...(options.runtimeStore !== undefined ? { store: options.runtimeStore } : {}),
        ...(options.env !== undefined ? { env: options.env } : {}),
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
        ...(stateDir !== undefined ? { stateDir } : {}),
        ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
      });
    } catch (error) {
      await router.close();
      await eventLog?.close();
      throw error;
    }
  }
  const { runtimeStore } = options;
  const app = createServer(router, {
    ...options,
    logger,
    ...(eventLog ? { eventLogs: [eventLog] } : {}),
    ...(controller ? { rolloutController: controller } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  try {
    await app.listen({ port: options.port ?? 8016, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    await controller?.close();
    await router.close();
    await eventLog?.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  // A fleet store learns of this instance: its heartbeat, and each runtime version it applied.
  const membership: FleetMembership | undefined = isFleetStore(runtimeStore)
    ? runtimeStore.joinFleet(
        {
          host: hostname(),
          pid: process.pid,
          listen: url,
          configVersion: () => router.status().configVersion,
        },
        options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {},
      )
    : undefined;
  const stopLooks = new AbortController();
  const looks = controller
    ? runController(controller, {
        intervalMs: options.controller?.intervalMs ?? 60_000,
        signal: stopLooks.signal,
        ...(options.controller?.pollMs !== undefined ? { pollMs: options.controller.pollMs } : {}),
      })
    : undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopLooks.abort();
      await looks;
      await membership?.stop();
      await controller?.close();
      await app.close();
      await router.close();
      await eventLog?.close();
    })();
    return closing;
  };
  return {
    url,
    router,
    app,
    close,
    ...(controller ? { controller } : {}),
    ...(eventLog ? { eventLog } : {}),
  };
}

/** The outcome event log of `eventsDir`, written by the router, logging through the server's logger. */
async function openEventLog(
  options: ServeOptions,
  router: Router,
  logger: Logger,
): Promise<OutcomeEventLog | undefined> {
  if (options.eventsDir === undefined) return undefined;
  const eventLog = new OutcomeEventLog({
    dir: options.eventsDir,
    logger,
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  await eventLog.ready;
  router.addOutcomeSink(eventLog);
  logger.info(
    { eventsDir: options.eventsDir, instance: eventLog.instance },
    `writing outcome events to ${options.eventsDir}, in files of this process's own (outcomes-YYYY-MM-DD.${eventLog.instance}.jsonl)`,
  );
  return eventLog;
}
