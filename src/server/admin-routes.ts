import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfigError } from '../config/issues.js';
import { echoed } from '../config/schema-errors.js';
import { durationText } from '../duration.js';
import { type ErrorCode, FlagrouteError, InvalidArgumentError, StoreError } from '../errors.js';
import { givenReason } from '../rollout-layers/index.js';
import {
  commandPlan,
  NO_METRICS,
  PLAN_ACTIONS,
  type PlanAction,
  type RolloutController,
} from '../rollout-plan/index.js';
import type { Router } from '../router/router.js';
import {
  acknowledgementsView,
  DEFAULT_ACK_WAIT_MS,
  type FleetStore,
  WAIT_BOUNDS,
} from '../runtime-store/index.js';
import { adminBody, adminRouteOptions } from './admin-body.js';
import { authorise as authoriseBearer } from './bearer-token.js';

/**
 * What `POST /v1/rollback` answers when the kill switch could not be persisted: why (a fleet
 * store that cannot be written, a file that no longer loads, a read-only file), and what that
 * means for the fleet.
 */
function notPersisted(error: unknown): string {
  if (error instanceof StoreError) {
    // The location of the store stays in the log: the cause and what it means are enough here.
    return `the kill switch is engaged in this process only and was not persisted: the fleet store cannot be written now (${error.code}; /readyz says since when), so other instances do not follow and a restart lifts it. Roll back again once the store answers (flagroute rollback --store, or this route)`;
  }
  const why =
    error instanceof ConfigError
      ? 'the environment file does not load as it is now, so it was not rewritten (its problems are in /readyz; flagroute validate says more)'
      : 'the environment file could not be written (it is read-only or not a regular file)';
  return `the kill switch is engaged in this process only and was not persisted: ${why}, so other instances do not follow and a restart lifts it. For a kill switch every instance follows without a writable file, use the fleet store (docs/fleet.md)`;
}

/** How long a plan command queued for the controller that drives waits for its outcome. */
const QUEUED_COMMAND_WAIT_MS = 5_000;

/** The reason a request gives (see `givenReason`), checked before anything changes. */
function reasonOf(body: Readonly<Record<string, unknown>>): string | undefined {
  return givenReason(body.reason);
}

/**
 * How long a runtime change waits for the fleet (`waitMs` in the body, a JSON number of
 * milliseconds within `WAIT_BOUNDS`, as the CLI's `--wait`; default `DEFAULT_ACK_WAIT_MS`),
 * checked before anything changes.
 */
function waitOf(body: Readonly<Record<string, unknown>>): number {
  const wait = body.waitMs;
  if (wait === undefined || wait === null) return DEFAULT_ACK_WAIT_MS;
  const { min, max } = WAIT_BOUNDS;
  if (typeof wait !== 'number' || !Number.isInteger(wait) || wait < min || wait > max) {
    throw new InvalidArgumentError(
      'waitMs',
      `must be a whole number of milliseconds from ${min} (do not wait) to ${max} (${durationText(max)}, as the CLI's --wait)`,
    );
  }
  return wait;
}

/**
 * Admin routes: they change the rollout exactly as the CLI does (the environment file, written
 * atomically, so every instance follows), and reset the breaker of this instance.
 */
export function adminRoutes(
  app: FastifyInstance,
  router: Router,
  token: string | undefined,
  controller?: RolloutController,
  fleet?: FleetStore,
): void {
  /** With a fleet store, what the live instances said to the change just made. */
  const acknowledged = async (wait: number) => {
    if (!fleet) return {};
    try {
      const acks = await fleet.awaitAcknowledgements({ deadlineMs: wait });
      return { acknowledgements: acknowledgementsView(acks) };
    } catch (error) {
      // The change is written: a store lost just after must not turn the answer into an error.
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === 'string' ? code : 'STORE_UNAVAILABLE';
      router.logger.warn(
        { err: error },
        'the acknowledgements of a runtime change could not be read',
      );
      return {
        acknowledgements: {
          error: reason,
          message: `the change is written; who applied it could not be read (${reason})`,
        },
      };
    }
  };
  const admin = {
    token,
    name: 'admin',
    off: 'the admin API is off: start the server with FLAGROUTE_ADMIN_TOKEN set',
  };
  const authorise = (request: FastifyRequest) => authoriseBearer(admin, request);
  app.post<{ Params: { action: string } }>(
    '/v1/rollout/plan/:action',
    adminRouteOptions('/v1/rollout/plan/:action'),
    async (request) => {
      authorise(request);
      const action = request.params.action;
      if (!(PLAN_ACTIONS as readonly string[]).includes(action)) {
        throw new FlagrouteError(
          'NOT_FOUND',
          `no plan action ${echoed(action)}; the actions are ${PLAN_ACTIONS.join(', ')}`,
        );
      }
      // The action is one of PLAN_ACTIONS here: the path names what the caller posted to.
      const path = `/v1/rollout/plan/${action}`;
      const reason = reasonOf(adminBody(request.body, '/v1/rollout/plan/:action', path));
      if (reason === undefined) {
        throw new InvalidArgumentError('reason', 'is required: every plan action says why');
      }
      const command = { action: action as PlanAction, reason };
      if (controller?.role === 'active') {
        return { applied: true, state: await controller.command(command) };
      }
      // No controller here, or a standby: applied at once, or queued for the one that drives.
      const receipt = await commandPlan(
        {
          configDir: router.config.configDir,
          environment: router.environment,
          source: NO_METRICS,
          logger: router.logger,
          ...(controller ? { store: controller.keeper.store } : {}),
        },
        command,
        QUEUED_COMMAND_WAIT_MS,
      );
      if (!receipt.applied && receipt.outcome?.ok === false) {
        throw new FlagrouteError(
          receipt.outcome.code as ErrorCode,
          `the controller ${receipt.holder} refused it: ${receipt.outcome.message}`,
        );
      }
      return receipt;
    },
  );
  app.post('/v1/rollout', adminRouteOptions('/v1/rollout'), async (request) => {
    authorise(request);
    const body = adminBody(request.body, '/v1/rollout');
    const percentage = body.percentage;
    const reason = reasonOf(body) ?? 'set through the admin API';
    const wait = waitOf(body);
    await router.updateRolloutPercentage(percentage as number, { persist: true, reason });
    return { ...router.status(), ...(await acknowledged(wait)) };
  });
  app.post('/v1/rollback', adminRouteOptions('/v1/rollback'), async (request) => {
    authorise(request);
    const body = adminBody(request.body, '/v1/rollback');
    const reason = reasonOf(body) ?? 'rollback through the admin API';
    const wait = waitOf(body);
    try {
      await router.updateRolloutPercentage(0, { persist: true, reason });
    } catch (error) {
      // The kill switch is engaged in this process whatever the file did (see
      // RolloutControl.update); the answer says so, the log keeps the file's error (and path).
      if (router.status().rollback?.persisted !== false) throw error;
      const details = notPersisted(error);
      router.logger.warn(
        { err: error },
        `emergency rollback kept in this process only: ${details}`,
      );
      return {
        ...router.status(),
        killSwitch: { engaged: true, persisted: false, details },
      };
    }
    return {
      ...router.status(),
      killSwitch: { engaged: true, persisted: true },
      ...(await acknowledged(wait)),
    };
  });
  app.post('/v1/rollout/resume', adminRouteOptions('/v1/rollout/resume'), async (request) => {
    authorise(request);
    const body = adminBody(request.body, '/v1/rollout/resume');
    const reason = reasonOf(body) ?? 'resumed through the admin API';
    const wait = waitOf(body);
    await router.resumeRollout({ reason });
    return { ...router.status(), ...(await acknowledged(wait)) };
  });
  app.post('/v1/breaker/reset', adminRouteOptions('/v1/breaker/reset'), async (request) => {
    authorise(request);
    adminBody(request.body, '/v1/breaker/reset');
    router.resetCircuitBreaker();
    return router.getPerformanceSummary().circuit_breaker;
  });
}
