/**
 * flagroute: routes each query to the candidate retrieval backend (LightRAG) or the incumbent
 * (Perplexity), and keeps that decision safe while the candidate is rolled out.
 *
 * The public door: one line per concept, each a folder with a door of its own: the router
 * (create, decide, record outcomes, change the rollout), decisions (routing, rules), the OFREP
 * core, outcomes and their metric table, configuration, errors, safety, the rollout layers,
 * the rollout controller, the runtime store, experiments and statistics, observability, the
 * fleet's PostgreSQL store (node-postgres loads on first use) and the tools built on the router. Helpers for ports and
 * benchmarks are in `flagroute/internals`; the HTTP service in `flagroute/server`; the
 * OpenFeature provider in `flagroute/openfeature`. Importing this door loads neither the HTTP
 * server (fastify) nor a schema compiler (the validators are generated at build time).
 *
 * @packageDocumentation
 */

export * from './batch/index.js';
export type { Clock } from './clock.js';
export * from './config/index.js';
export * from './decision/index.js';
export * from './decision-tokens/index.js';
export * from './errors.js';
export * from './event-log/index.js';
export * from './experiment/index.js';
export { droppedLogLines } from './logging.js';
export * from './metrics/index.js';
export * from './observability/index.js';
export * from './ofrep/index.js';
export * from './outcomes/index.js';
export * from './postgres/index.js';
export type { Result } from './result.js';
export * from './rollout-layers/index.js';
export * from './rollout-plan/index.js';
export * from './router/index.js';
export * from './rules/index.js';
export * from './runtime-store/index.js';
export * from './safety/index.js';
export * from './shadow/index.js';
export * from './simulation/index.js';
export * from './statistics/index.js';
export type { WatchOptions } from './watch/index.js';
