import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { type Clock, systemClock } from '../clock.js';
import { echoed } from '../config/schema-errors.js';
import { DashboardFeed } from '../dashboard/dashboard-feed.js';
import { dashboardRoutes } from '../dashboard/dashboard-routes.js';
import type { DecisionTokens } from '../decision-tokens/index.js';
import type { EventLogView } from '../event-log/index.js';
import { escapeControls } from '../log-escapes.js';
import { registerEventLogMetrics } from '../observability/event-log-metrics.js';
import { registerOutcomeRefusalMetrics } from '../observability/outcome-refusal-metrics.js';
import { registerControllerMetrics, registerMetrics } from '../observability/prometheus.js';
import { registerStoreMetrics } from '../observability/store-metrics.js';
import { DecisionLedger, type OutcomeStore } from '../outcomes/index.js';
import type { RolloutController } from '../rollout-plan/index.js';
import type { Router } from '../router/router.js';
import {
  isFleetStore,
  type RuntimeStore,
  type StoreHealth,
  type StoreWithHealth,
} from '../runtime-store/index.js';
import { adminRoutes } from './admin-routes.js';
import { controllerReadiness } from './controller-endpoint.js';
import { type ErrorBody, toWire } from './http-errors.js';
import { type RouteBody, useJsonBodyParser } from './json-body.js';
import { nativeRoutes } from './native-routes.js';
import { ofrepRoutes, SINGLE_FLAG } from './ofrep-routes.js';
import { outcomeIngestMode } from './outcome-ingest.js';
import {
  answerClientError,
  answerFrameworkError,
  bodyTooLarge,
  DEFAULT_BODY_LIMIT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  drainAfterAnswer,
  isBodyTooLarge,
  requestCheckIntervalMs,
} from './request-limits.js';
import { answerUnrouted, collectRouteMethods } from './route-methods.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Bearer token of the admin routes; without one they answer 403. */
  adminToken?: string | undefined;
  /**
   * Bearer token that `POST /v1/outcomes` requires (`FLAGROUTE_INGEST_TOKEN`; not the admin
   * token). Without one, outcomes over HTTP are refused (403) unless `anonymousOutcomes`.
   */
  ingestToken?: string | undefined;
  /**
   * Take outcomes over HTTP from anyone (no ingest token may be set then). They feed this
   * process's breaker and triggers, but no rollback fired from then on is written to the
   * environment file. For demos and trials, never for a server others can reach.
   */
  anonymousOutcomes?: boolean | undefined;
  /** Largest request body in bytes; larger ones get 413. Default 64 KiB. */
  bodyLimit?: number;
  /**
   * Time a request may take to arrive whole (headers and body), from its first byte, in
   * milliseconds; a slower one is answered 408 and its connection closed. Default 10 s.
   */
  requestTimeoutMs?: number;
  /** Dashboard event streams open at once; one more is 503 `TOO_MANY_STREAMS`. Default 100. */
  maxDashboardStreams?: number;
  /** Where the server logs (requests are not logged one by one). */
  logger?: Logger;
  /** A rollout controller whose metrics `/metrics` serves too, and that the admin API and the dashboard drive. */
  rolloutController?: RolloutController;
  /** Time source (the router's, the controller's and the dashboard's); default the wall clock. */
  clock?: Clock;
  /** Event logs the router writes (the outcome event log): their health in `/readyz`, their counts in `/metrics`. */
  eventLogs?: readonly EventLogView[];
  /**
   * Where the runtime layer, the kill switch and the plan's state, lease and commands live when
   * not in the environment file and `state/`: a fleet's store (`PostgresRuntimeStore`), shared
   * with every instance on it. Its health shows in `/readyz` and `/metrics`, the dashboard reads
   * the plan from it, and with a fleet registry the admin API's runtime changes wait for the live
   * instances to acknowledge them. The caller's to close, after the server.
   */
  runtimeStore?: RuntimeStore;
  /**
   * Signed decision tokens (`FLAGROUTE_DECISION_KEY`): every decision also gets a token in
   * `POST /v1/decide` and OFREP flag metadata, and `POST /v1/outcomes` takes an outcome by
   * token from a decision of any instance holding the key, once.
   */
  decisionTokens?: DecisionTokens | undefined;
  /**
   * The fleet's outcome store (PostgreSQL): `POST /v1/outcomes` writes each outcome there
   * before answering, so that a decision takes one outcome fleet-wide; its health goes to
   * `/readyz` and `/metrics` with the event logs'.
   */
  outcomeStore?: (OutcomeStore & EventLogView) | undefined;
}

/**
 * The HTTP service over one router: OFREP (`/ofrep/v1`), the native API (`/v1`), admin routes,
 * `/healthz`, `/readyz` and Prometheus `/metrics`. JSON only (415 otherwise), bodies up to 64 KiB (413), malformed
 * JSON is 400 naming the problem, no stack trace ever in a response, no CORS headers.
 */
export function createServer(router: Router, options: ServerOptions = {}): FastifyInstance {
  const ingest = { token: options.ingestToken, anonymous: options.anonymousOutcomes };
  outcomeIngestMode(ingest, options.adminToken);
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    bodyLimit,
    requestTimeout,
    // Node holds a request's body to requestTimeout only when its server is built with it
    // (fastify sets it afterwards, which limits the headers alone), and checks on a timer.
    http: {
      requestTimeout,
      connectionsCheckingInterval: requestCheckIntervalMs(requestTimeout),
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    logger: false,
    return503OnClosing: true,
  });
  app.removeContentTypeParser('text/plain');
  useJsonBodyParser(app);
  const methodsAt = collectRouteMethods(app);
  // Once closing, answers end their connection, so a drain does not wait out keep-alives.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook, not an async one: it runs on every response and a promise per response
  // showed in the OFREP route's throughput.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  const ledger = new DecisionLedger({ tokens: options.decisionTokens });
  app.addHook('onClose', async () => ledger.clear());
  const eventLogs = [
    ...(options.eventLogs ?? []),
    ...(options.outcomeStore ? [options.outcomeStore] : []),
  ];
  const shared = options.runtimeStore;
  const storeHealth =
    shared && 'health' in shared ? (shared as RuntimeStore & StoreWithHealth) : undefined;
  healthRoutes(app, router, options.rolloutController, eventLogs, storeHealth);
  metricsRoute(app, router, ledger, options.rolloutController, eventLogs, storeHealth);
  ofrepRoutes(app, router, ledger);
  nativeRoutes(app, router, ledger, ingest, options.outcomeStore);
  const fleet = isFleetStore(shared) ? shared : undefined;
  adminRoutes(app, router, options.adminToken, options.rolloutController, fleet);
  const feed = new DashboardFeed(router, {
    admin: Boolean(options.adminToken),
    clock: options.clock ?? systemClock,
    ...(options.rolloutController ? { controller: options.rolloutController } : {}),
    ...(shared ? { planStore: shared, ...(fleet ? { fleet } : {}) } : {}),
  });
  app.addHook('onClose', async () => feed.close());
  dashboardRoutes(app, feed, {
    ...(options.maxDashboardStreams !== undefined
      ? { maxStreams: options.maxDashboardStreams }
      : {}),
  });
  app.setNotFoundHandler((request, reply) => answerUnrouted(request, reply, methodsAt));
  const withoutPaths = pathScrubber(router.config.configDir);
  // Every route throws coded errors; this is the one place they become answers.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const tooLarge = isBodyTooLarge(error);
    if (tooLarge) drainAfterAnswer(request.raw, reply);
    // A request no route takes (its body refused on the way) is answered for its route: 405 or 404.
    if (request.is404) return answerUnrouted(request, reply, methodsAt);
    const advice = (request.routeOptions.config as RouteBody | undefined)?.tooLarge;
    const known = tooLarge ? bodyTooLarge(bodyLimit, advice) : error;
    const { status, body } = toWire(known, { ofrep: request.url.startsWith('/ofrep/') });
    body.errorDetails = withoutPaths(body.errorDetails);
    // OFREP's single-flag failures name their flag (as fastify decoded it from the path).
    const key = (request.params as { key?: unknown } | undefined)?.key;
    if (request.routeOptions.url === SINGLE_FLAG && typeof key === 'string') {
      (body as ErrorBody & { key?: string }).key = echoed(key);
    }
    // A store or event store that cannot take the request now: the client tries again.
    if (body.errorCode === 'EVENTS_BACKLOGGED' || body.errorCode === 'STORE_UNAVAILABLE') {
      reply.header('retry-after', '1');
    }
    if (status >= 500) {
      // The URL is the caller's text: a raw NEL or U+2028 would break a custom logger's line.
      options.logger?.error({ err: error, url: escapeControls(request.url) }, 'request failed');
    }
    return reply.code(status).send(body);
  });
  return app;
}

/** A store's health as `/readyz` shows it, with what it means for the decisions served. */
function storeReadiness(health: StoreHealth) {
  const message =
    health.status === 'ok'
      ? 'following the store'
      : `degraded: store unreachable since ${health.since}, serving the runtime state of ${health.stateReadAt ?? 'the start (none read)'}`;
  return { ...health, message };
}

/**
 * Names files in an error's details relative to the config directory, should one still carry
 * the directory's absolute path (a router made with another `cwd`, an error of a library
 * below): no answer shows where the server's files are.
 */
function pathScrubber(configDir: string): (text: string) => string {
  const prefixes = [...new Set([resolve(configDir), realpathOr(resolve(configDir))])].map((dir) =>
    dir.endsWith(sep) ? dir : `${dir}${sep}`,
  );
  return (text) => prefixes.reduce((scrubbed, prefix) => scrubbed.replaceAll(prefix, ''), text);
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * `/healthz` (the process runs) and `/readyz`: 503 with the errors while reloads fail; 200
 * `degraded` while the rollout controller meets faults or an event log cannot be written (the
 * server still decides, so it stays in rotation), naming each reason without a file path.
 */
function healthRoutes(
  app: FastifyInstance,
  router: Router,
  controller: RolloutController | undefined,
  eventLogs: readonly EventLogView[],
  runtimeStore: StoreWithHealth | undefined,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_, reply) => {
    const { lastReload, configVersion, shadow, shadowBudget } = router.status();
    const readiness = controller && controllerReadiness(controller);
    // The shadow's share, and what this process's budget admitted and refused (docs/shadow.md).
    const detail = { configVersion, shadow: { ...shadow, ...shadowBudget }, controller: readiness };
    const logs = eventLogs.map((log) => [log.kind, log.health()] as const);
    const events = logs.length > 0 ? { eventLogs: Object.fromEntries(logs) } : {};
    const logDegraded = logs.some(([, health]) => health.status === 'degraded');
    const storeHealth = runtimeStore?.health();
    const store = storeHealth ? { store: storeReadiness(storeHealth) } : {};
    if (!lastReload.ok) {
      return reply.code(503).send({
        status: 'reload failing',
        errors: lastReload.errors,
        ...detail,
        ...events,
        ...store,
      });
    }
    const degraded =
      readiness?.status === 'degraded' || logDegraded || storeHealth?.status === 'degraded';
    return { status: degraded ? 'degraded' : 'ready', ...detail, ...events, ...store };
  });
}

/** `/metrics`: flagroute's metrics on a registry of this server's own. */
function metricsRoute(
  app: FastifyInstance,
  router: Router,
  ledger: DecisionLedger,
  controller: RolloutController | undefined,
  eventLogs: readonly EventLogView[],
  runtimeStore: StoreWithHealth | undefined,
): void {
  const registry = new Registry();
  if (runtimeStore) registerStoreMetrics(runtimeStore, registry);
  const unregister = registerMetrics(router, registry);
  if (controller) registerControllerMetrics(controller, registry);
  for (const log of eventLogs) registerEventLogMetrics(log, registry);
  registerOutcomeRefusalMetrics(ledger.refusals, registry);
  app.addHook('onClose', async () => unregister());
  app.get('/metrics', async (_, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
