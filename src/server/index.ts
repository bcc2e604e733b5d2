/**
 * `flagroute/server`: the HTTP service (OFREP, `/v1`, admin, health, `/metrics`) on fastify.
 *
 * @packageDocumentation
 */
export {
  type AdminClientOptions,
  adminPost,
  resetRemoteBreaker,
} from './admin-client.js';
export { createServer, DEFAULT_BODY_LIMIT, type ServerOptions } from './create-server.js';
export { type ErrorBody, HTTP_STATUSES } from './http-errors.js';
export { OFREP_FLAGS, OFREP_REASONS, type OfrepFlag, type OfrepReason } from './ofrep-mapping.js';
export { type RunningServer, type ServeOptions, serve } from './serve.js';
