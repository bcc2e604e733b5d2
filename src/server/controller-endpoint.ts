import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { registerControllerMetrics } from '../observability/prometheus.js';
import { FAULT_SUMMARIES, type RolloutController } from '../rollout-plan/index.js';
import { toWire } from './http-errors.js';
import { answerUnrouted, collectRouteMethods } from './route-methods.js';

/** A controller's health as `/readyz` shows it: role, status, faults by reason (no file path). */
export function controllerReadiness(controller: RolloutController) {
  const health = controller.health.snapshot();
  return {
    role: controller.role,
    status: health.status,
    since: health.since,
    faults: health.faults.map(({ reason }) => ({ reason, summary: FAULT_SUMMARIES[reason] })),
    errors: health.errors,
  };
}

/** Where a controller's own endpoint listens, and how to stop it. */
export interface ControllerEndpoint {
  url: string;
  close(): Promise<void>;
}

/**
 * `/healthz`, `/readyz` and `/metrics` of a `flagroute controller` process, for probes and
 * Prometheus: `/readyz` is 200 `ready`, `standby` or `degraded` (with the controller's
 * faults), so that a standby replica stays alive; `/metrics` has the plan's and the
 * controller's series (`flagroute_rollout_controller_errors_total{reason}`, `..._active`).
 * Anything else is 404 `NOT_FOUND` (405 `METHOD_NOT_ALLOWED` with `Allow` for another method of
 * these paths) in flagroute's error shape, the path cut like every echo.
 */
export async function serveControllerEndpoint(
  controller: RolloutController,
  options: { port: number; host: string },
): Promise<ControllerEndpoint> {
  const app = Fastify({ logger: false });
  const registry = new Registry();
  registerControllerMetrics(controller, registry);
  const methodsAt = collectRouteMethods(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    const readiness = controllerReadiness(controller);
    return {
      status: readiness.status === 'ok' ? 'ready' : readiness.status,
      controller: readiness,
    };
  });
  app.get('/metrics', async (_, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  // Answers in flagroute's shape, as the server's: fastify's own repeated the whole path.
  app.setNotFoundHandler((request, reply) => answerUnrouted(request, reply, methodsAt));
  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = toWire(error);
    return reply.code(status).send(body);
  });
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { url: `http://${options.host}:${port}`, close: () => app.close() };
}
