/**
 * `flagroute/server`: the HTTP service (OFREP, `/v1`, admin, health, `/metrics`) on fastify.
 *
 * @packageDocumentation
 */

/** What `GET /v1/dashboard/snapshot` and the dashboard's event stream send. */
export type { DashboardView } from '../dashboard/index.js';
export {
  type AdminClientOptions,
  adminPost,
  resetRemoteBreaker,
} from './admin-client.js';
export {
  type ControllerEndpoint,
  controllerReadiness,
  serveControllerEndpoint,
} from './controller-endpoint.js';
export { createServer, type ServerOptions } from './create-server.js';
export { type ErrorBody, HTTP_STATUSES, OFREP_ERROR_CODES, toWire } from './http-errors.js';
export {
  INGEST_MODE_WARNINGS,
  type OutcomeIngestMode,
  outcomeIngestMode,
  TRUSTED_OUTCOMES_WARNING,
} from './outcome-ingest.js';
export { DEFAULT_BODY_LIMIT, MAX_DISCARDED_BODY_BYTES } from './request-limits.js';
export { type RunningServer, type ServeOptions, serve } from './serve.js';
