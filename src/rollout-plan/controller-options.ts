import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { PlanMetricsSource } from './metrics-sources.js';
import type { PlanStore } from './plan-store.js';
import type { WebhookOptions } from './webhooks.js';

/** Options of `RolloutController.open`. */
export interface ControllerOptions {
  configDir: string;
  environment: string;
  /** Where the plan store lives. Default `state/` in the config directory. */
  stateDir?: string;
  /** The plan store; default a `FilePlanStore` in `stateDir`. */
  store?: PlanStore;
  /** The plan's metrics: the in-process router, Prometheus or an events directory. */
  source: PlanMetricsSource;
  /** The plan's time (holds, stage starts, looks): simulated, accelerated or the wall's. */
  clock?: Clock;
  /** The lease's time, shared with other processes. Default the wall clock. */
  leaseClock?: Clock;
  logger?: Logger;
  /** Variables for the `LIGHTRAG_*` overlay. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** How long the lease lasts without a heartbeat. Default 30 s. */
  leaseTtlMs?: number;
  /** This controller's name in the lease. Default host:pid:random. */
  holder?: string;
  webhook?: WebhookOptions;
  /** Stability window of config reads (see `loadConfig`). Default 40 ms. */
  stabilityMs?: number;
  /** When another controller holds the lease: wait as a standby (true) or refuse (default). */
  standby?: boolean;
}

/** Whether this controller drives the plan, waits for the lease, or has stopped. */
export type ControllerRole = 'active' | 'standby' | 'closed';
