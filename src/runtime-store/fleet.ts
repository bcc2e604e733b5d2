import type { DurationBounds } from '../duration.js';

/** How often a serving instance tells the store it is alive, by default. */
export const DEFAULT_HEARTBEAT_MS = 5_000;
/** How long without a heartbeat before an instance counts as stale (three heartbeats), by default. */
export const DEFAULT_STALE_AFTER_MS = 3 * DEFAULT_HEARTBEAT_MS;
/** How long a runtime change waits for the live instances to acknowledge it, by default. */
export const DEFAULT_ACK_WAIT_MS = 2_000;

/**
 * How long a change's sender may wait for others to apply it: `0` (not at all) to one minute,
 * the same over HTTP (`waitMs`) and on the CLI (`--wait`, for the fleet and the plan's
 * controller). Those hear a change at once (`LISTEN`) or at their next poll, 2 s at most by
 * default: one that has not applied it within a minute will not by being waited for longer
 * (`fleet status` says why), and a request held longer is cut by common proxies (60 s).
 */
export const WAIT_BOUNDS: DurationBounds = { min: 0, max: 60_000 };

/** What a serving instance says about itself when it joins the fleet. */
export interface InstanceSelf {
  host: string;
  pid: number;
  /** Where it listens (`http://10.0.0.7:8016`), if it serves HTTP. */
  listen?: string;
  /** The configuration version it serves now (read at every heartbeat: reloads change it). */
  configVersion: () => string;
}

/** This process's place in the fleet: a heartbeat until stopped. */
export interface FleetMembership {
  /** The instance's id in the store (`host:pid:random`). */
  readonly instanceId: string;
  /** Stops the heartbeat and marks the instance stopped, so nobody waits for it. */
  stop(): Promise<void>;
}

/** One instance as the store knows it. */
export interface FleetInstance {
  id: string;
  host: string;
  pid: number;
  flagrouteVersion: string;
  listen: string | null;
  configVersion: string | null;
  /** The runtime version it applied last (its acknowledgement), or null before the first. */
  runtimeVersion: string | null;
  /** When it applied that version (the store's clock, ISO 8601), or null. */
  runtimeAppliedAt: string | null;
  startedAt: string;
  /** Its last heartbeat (the store's clock, ISO 8601). */
  lastSeen: string;
  /** Seconds since its last heartbeat, on the store's clock. */
  secondsSinceSeen: number;
  /** `live`: a heartbeat within the stale window; `stale`: none since; `stopped`: it said goodbye. */
  state: 'live' | 'stale' | 'stopped';
}

/** The fleet of one environment, as `flagroute fleet status` shows it. */
export interface FleetStatus {
  environment: string;
  /** Where the store is, without secrets. */
  store: string;
  /** The store's runtime version now (what every live instance should have applied), or null. */
  runtimeVersion: string | null;
  /** How long without a heartbeat makes an instance stale, in ms. */
  staleAfterMs: number;
  /** Live instances first, then stale, then recently stopped; each group by host and pid. */
  instances: FleetInstance[];
  /**
   * Where live instances disagree: more than one configuration or flagroute version, or an
   * instance that has not applied the store's runtime version. Empty when they agree.
   */
  skew: string[];
}

/** What the live instances said to a runtime change, within the wait. */
export interface Acknowledgements {
  /** The runtime version waited for (the change's, or a later one). */
  version: string;
  /** Live instances (a heartbeat within the stale window) when the wait ended. */
  live: FleetInstance[];
  /** Those that applied `version` or later. */
  acknowledged: FleetInstance[];
  /** Those that did not, within the wait. */
  missing: FleetInstance[];
  /** How long it waited for them, in ms. */
  waitedMs: number;
  /** The most it would wait, in ms. */
  deadlineMs: number;
}

/** Options of {@link FleetStore.awaitAcknowledgements}. */
export interface AcknowledgementOptions {
  /** The most to wait, in ms. Default {@link DEFAULT_ACK_WAIT_MS}; 0 only looks once. */
  deadlineMs?: number;
  /** Default {@link DEFAULT_STALE_AFTER_MS}. */
  staleAfterMs?: number;
}

/**
 * A shared store that knows its fleet: serving instances join it (a heartbeat with the
 * configuration and runtime versions they serve), a person's runtime change waits for them to
 * acknowledge it, and anyone can list them. The PostgreSQL store is one; file mode is not (an
 * instance on a shared file follows it by hot reload, and no registry exists).
 */
export interface FleetStore {
  /**
   * Joins this process to the fleet: an instance row now, a heartbeat every `heartbeatMs`,
   * and the runtime version recorded as soon as this process has applied it (the store's
   * subscribers, the router among them, were told of it). Heartbeat failures are retried at the
   * next beat; the store's health already says it is away.
   */
  joinFleet(self: InstanceSelf, options?: { heartbeatMs?: number }): FleetMembership;
  /**
   * Waits until every live instance has applied the store's runtime version (read when the
   * wait starts, so at least the caller's own change), or until the deadline; says who did
   * and who did not.
   */
  awaitAcknowledgements(options?: AcknowledgementOptions): Promise<Acknowledgements>;
  /** The fleet now: each instance, its versions, and where they disagree. */
  fleetStatus(options?: { staleAfterMs?: number }): Promise<FleetStatus>;
}

/** Whether `store` keeps a fleet registry (see {@link FleetStore}). */
export function isFleetStore(store: unknown): store is FleetStore {
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof (store as Partial<FleetStore>).awaitAcknowledgements === 'function' &&
    typeof (store as Partial<FleetStore>).joinFleet === 'function'
  );
}

/** An instance in a sentence: `web-1 pid 42 (http://10.0.0.7:8016)`. */
export function instanceName(instance: FleetInstance): string {
  return `${instance.host} pid ${instance.pid}${instance.listen ? ` (${instance.listen})` : ''}`;
}

/**
 * One line about the acknowledgements: `acknowledged by 3 of 3 live instances in 0.04 s`, or
 * `acknowledged by 2 of 3 live instances within 2 s; missing: web-3 pid 7 (applied runtime
 * version 4 of 5, last seen 0.8 s ago)`.
 */
export function describeAcknowledgements(acks: Acknowledgements): string {
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(2))} s`;
  const counted = `runtime version ${acks.version} acknowledged by ${acks.acknowledged.length} of ${acks.live.length} live instance${acks.live.length === 1 ? '' : 's'}`;
  if (acks.live.length === 0) {
    return `${counted}: no instance has a heartbeat on this store (nobody serves it, or they run without --store)`;
  }
  if (acks.missing.length === 0) return `${counted} in ${seconds(acks.waitedMs)}`;
  const missing = acks.missing.map(
    (each) =>
      `${instanceName(each)} (applied ${each.runtimeVersion === null ? 'no runtime version yet' : `runtime version ${each.runtimeVersion}`}, last seen ${Number(each.secondsSinceSeen.toFixed(1))} s ago)`,
  );
  return `${counted} within ${seconds(acks.deadlineMs)}; missing: ${missing.join(', ')}`;
}

/** The instances as JSON-ready rows for an answer or `--json`. */
export function acknowledgementsView(acks: Acknowledgements) {
  const ids = (list: FleetInstance[]) => list.map((each) => each.id);
  return {
    version: acks.version,
    live: acks.live.length,
    acknowledged: acks.acknowledged.length,
    complete: acks.missing.length === 0 && acks.live.length > 0,
    missing: acks.missing.map((each) => ({
      id: each.id,
      host: each.host,
      pid: each.pid,
      listen: each.listen,
      runtimeVersion: each.runtimeVersion,
      lastSeen: each.lastSeen,
    })),
    acknowledgedBy: ids(acks.acknowledged),
    waitedMs: acks.waitedMs,
    deadlineMs: acks.deadlineMs,
    message: describeAcknowledgements(acks),
  };
}

/**
 * Where live instances disagree, in sentences: several configuration or flagroute versions,
 * instances behind the store's runtime version.
 */
export function fleetSkew(instances: FleetInstance[], runtimeVersion: string | null): string[] {
  const live = instances.filter((each) => each.state === 'live');
  const skew: string[] = [];
  const spread = (what: string, versionOf: (each: FleetInstance) => string | null) => {
    const groups = new Map<string, FleetInstance[]>();
    for (const each of live) {
      const value = versionOf(each) ?? 'unknown';
      groups.set(value, [...(groups.get(value) ?? []), each]);
    }
    if (groups.size <= 1) return;
    const parts = [...groups].map(([value, members]) => `${value} on ${members.length}`);
    skew.push(`${groups.size} ${what} versions among live instances: ${parts.join(', ')}`);
  };
  spread('configuration', (each) => each.configVersion);
  spread('flagroute', (each) => each.flagrouteVersion);
  if (runtimeVersion !== null) {
    const behind = live.filter(
      (each) =>
        each.runtimeVersion === null || BigInt(each.runtimeVersion) < BigInt(runtimeVersion),
    );
    if (behind.length > 0) {
      skew.push(
        `${behind.length} live instance${behind.length === 1 ? ' has' : 's have'} not applied runtime version ${runtimeVersion}: ${behind
          .map((each) => `${instanceName(each)} at ${each.runtimeVersion ?? 'none'}`)
          .join(', ')}`,
      );
    }
  }
  return skew;
}

/** The fleet as lines of text, as `flagroute fleet status` prints it. */
export function describeFleet(status: FleetStatus): string[] {
  const count = (state: FleetInstance['state']) =>
    status.instances.filter((each) => each.state === state).length;
  const lines = [
    `fleet of ${status.environment} on ${status.store}: runtime version ${status.runtimeVersion ?? 'none (no runtime change yet)'}`,
    `${count('live')} live, ${count('stale')} stale (no heartbeat for ${status.staleAfterMs / 1000} s), ${count('stopped')} stopped in the last 10 minutes`,
  ];
  for (const each of status.instances) {
    lines.push(
      `  ${each.state.padEnd(7)} ${instanceName(each)}: config ${each.configVersion ?? 'unknown'}, runtime version ${each.runtimeVersion ?? 'none'}, flagroute ${each.flagrouteVersion}, last seen ${Number(each.secondsSinceSeen.toFixed(1))} s ago (${each.lastSeen})`,
    );
  }
  lines.push(
    status.skew.length === 0
      ? 'skew: none (every live instance serves the same versions)'
      : `skew:\n${status.skew.map((each) => `  ${each}`).join('\n')}`,
  );
  return lines;
}
