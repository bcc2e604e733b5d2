import type { Logger } from 'pino';
import { type ErrorCode, FlagrouteError, StoreError } from '../errors.js';

/** Why a controller's look failed or found something to repair: the label of its error count. */
export const FAULT_REASONS = [
  'config_invalid',
  'config_not_writable',
  'metrics_unavailable',
  'state_unreadable',
  'state_missing',
  'state_not_writable',
  'lease_unreadable',
  'lease_missing',
  'lease_lost',
  'command_unreadable',
  'plan_mismatch',
  'events_skipped',
  'store_unavailable',
] as const;
/** A reason of `flagroute_rollout_controller_errors_total{reason}`. */
export type FaultReason = (typeof FAULT_REASONS)[number];

/**
 * What each reason means, without a file path (for `/readyz` and the dashboard; the log line
 * and `rollout plan status` name the file).
 */
export const FAULT_SUMMARIES: Readonly<Record<FaultReason, string>> = {
  config_invalid: 'the configuration cannot be loaded; the plan waits until it is fixed',
  config_not_writable: 'the environment file cannot be written; the plan waits and retries',
  metrics_unavailable: "the plan's metrics source cannot be read; nothing is judged until it is",
  state_unreadable: 'the plan state was unreadable; the controller rewrote it from memory',
  state_missing: 'the plan state had vanished; the controller rewrote it from memory',
  state_not_writable: 'the plan state cannot be written; the controller keeps it in memory',
  lease_unreadable: "the controller's lease was unreadable; the controller rewrote it",
  lease_missing: "the controller's lease had vanished; the controller took it again",
  lease_lost: 'another controller took the lease; this one stands by',
  command_unreadable: 'a queued plan command was unreadable and was set aside',
  events_skipped:
    "lines of the plan's events are no outcome or exposure event and are left out of its data",
  plan_mismatch:
    "the plan state was started under another rollout_plan than this configuration's; the controller holds until a person restarts the plan under this one",
  store_unavailable:
    'the shared store cannot be reached or used now; the controller keeps the plan in memory and tries again',
};

/** A problem a controller met: its reason, and a message naming the file and what to do. */
export interface Fault {
  reason: FaultReason;
  message: string;
}

/** The error code of each reason, for callers who branch on codes. */
const FAULT_CODES: Readonly<Record<FaultReason, ErrorCode>> = {
  config_invalid: 'INVALID_CONFIG',
  config_not_writable: 'CONFIG_NOT_WRITABLE',
  metrics_unavailable: 'INVALID_DATA',
  state_unreadable: 'INVALID_DATA',
  state_missing: 'INVALID_DATA',
  state_not_writable: 'INVALID_DATA',
  lease_unreadable: 'INVALID_DATA',
  lease_missing: 'INVALID_DATA',
  lease_lost: 'PLAN_CONFLICT',
  command_unreadable: 'INVALID_DATA',
  plan_mismatch: 'PLAN_CONFLICT',
  events_skipped: 'INVALID_DATA',
  store_unavailable: 'STORE_UNAVAILABLE',
};

/** A controller's fault as an error: the code of its reason, the fault's message. */
export class FaultError extends FlagrouteError {
  constructor(
    readonly fault: Fault,
    options?: { cause?: unknown },
  ) {
    super(FAULT_CODES[fault.reason], fault.message, options);
  }
}

/** A controller's health, as `/readyz`, `rollout plan status` and the dashboard show it. */
export interface HealthSnapshot {
  /** `degraded` while the last look met a fault; `standby` while another controller drives. */
  status: 'ok' | 'degraded' | 'standby';
  /** The last look's faults (empty when ok). */
  faults: Fault[];
  /** Since when the controller has been degraded (ISO 8601), or null. */
  since: string | null;
  /** Faults counted since the controller started, by reason. */
  errors: Partial<Record<FaultReason, number>>;
}

/**
 * A controller's health: every fault is logged at error level (naming the file and what to do),
 * counted by reason and passed to the listeners (the Prometheus counter); the controller is
 * degraded while its last look met one, and says so when it recovers.
 */
export class HealthTracker {
  private readonly counts: Partial<Record<FaultReason, number>> = {};
  private readonly listeners: ((fault: Fault) => void)[] = [];
  private faults: Fault[] = [];
  private since: number | null = null;
  private standingBy = false;

  constructor(
    private readonly environment: string,
    private readonly logger: Logger | undefined,
  ) {}

  /** Calls `listener` on every fault. */
  onFault(listener: (fault: Fault) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Counts and passes on a fault of the look under way; logs it and lists it once: the same
   * fault met again before the next look (each heartbeat between looks meets a store that is
   * away) is counted, not listed or logged again.
   */
  report(fault: Fault, at: number): void {
    this.counts[fault.reason] = (this.counts[fault.reason] ?? 0) + 1;
    for (const listener of this.listeners) listener(fault);
    const known = this.faults.some(
      (each) => each.reason === fault.reason && each.message === fault.message,
    );
    if (known) return;
    this.faults.push(fault);
    this.since ??= at;
    this.logger?.error({ environment: this.environment, reason: fault.reason }, fault.message);
  }

  /** A look begins: its faults will replace the last look's. */
  beginLook(): void {
    this.faults = [];
  }

  /** A look ended: a clean one after faults is a recovery, and is logged. */
  endLook(): void {
    if (this.faults.length > 0 || this.since === null) return;
    this.logger?.info(
      { environment: this.environment },
      `rollout controller of ${this.environment} recovered (degraded since ${new Date(this.since).toISOString()})`,
    );
    this.since = null;
  }

  /**
   * A standby's attempt to take the lease was answered (taken, or held by another): the faults
   * of its failed attempts are over, and the recovery is logged as a look's would be.
   */
  recoverStandby(): void {
    this.faults = [];
    this.endLook();
  }

  /** Marks the controller as standing by (or not). */
  standby(standingBy: boolean): void {
    this.standingBy = standingBy;
  }

  snapshot(): HealthSnapshot {
    return {
      status: this.standingBy ? 'standby' : this.faults.length > 0 ? 'degraded' : 'ok',
      faults: [...this.faults],
      since: this.since === null ? null : new Date(this.since).toISOString(),
      errors: { ...this.counts },
    };
  }
}

/** Whether an error says only that another controller drives (standing by is no fault). */
export function isStandingBy(error: unknown): boolean {
  return (
    error instanceof FlagrouteError &&
    error.code === 'PLAN_CONFLICT' &&
    !(error instanceof FaultError)
  );
}

/** A thrown error as a fault: its own, a lost lease, or a store that failed. */
export function faultOf(error: unknown, environment: string): Fault {
  if (error instanceof FaultError) return error.fault;
  if (error instanceof FlagrouteError && error.code === 'PLAN_CONFLICT') {
    return { reason: 'lease_lost', message: error.message };
  }
  if (error instanceof StoreError) {
    // The store itself failed (unreachable, a refused login): nothing was being written that
    // only this controller holds, so it is not the plan state's fault.
    return {
      reason: 'store_unavailable',
      message: `the plan store of ${environment} cannot be used now (${error.message}); the controller tries again`,
    };
  }
  return {
    reason: 'state_not_writable',
    message: `the plan store of ${environment} failed (${(error as Error).message}); the look is tried again`,
  };
}
