import { type FleetInstance, type FleetStatus, instanceName } from '../runtime-store/index.js';
import type { FleetPanel, InstanceRow } from './page/view-model.js';

/** The value most live instances have (ties: the first met), or null without live instances. */
function majority(
  live: readonly FleetInstance[],
  of: (each: FleetInstance) => string,
): string | null {
  const counts = new Map<string, number>();
  for (const each of live) counts.set(of(each), (counts.get(of(each)) ?? 0) + 1);
  let best: string | null = null;
  for (const [value, count] of counts) if (best === null || count > counts.get(best)!) best = value;
  return best;
}

/** Whether an instance has applied the store's runtime version `version` (or a later one). */
function applied(each: FleetInstance, version: string | null): boolean {
  if (version === null) return true;
  return each.runtimeVersion !== null && BigInt(each.runtimeVersion) >= BigInt(version);
}

/**
 * The fleet as the page shows it: every instance with its versions, those that disagree with the
 * live majority (configuration, flagroute) or lag the store's runtime version highlighted, and
 * the acknowledgement of the kill switch in force. The kill switch is part of the store's runtime
 * state now, so an instance has it once it applied the store's current runtime version: a count
 * that may miss an instance which applied the kill switch and not a later change, never one
 * that did not apply it.
 */
export function fleetPanel(status: FleetStatus, killSwitch: string | null): FleetPanel {
  const live = status.instances.filter((each) => each.state === 'live');
  const config = majority(live, (each) => each.configVersion ?? 'unknown');
  const flagroute = majority(live, (each) => each.flagrouteVersion);
  const instances: InstanceRow[] = status.instances.map((each) => ({
    id: each.id,
    name: instanceName(each),
    state: each.state,
    configVersion: each.configVersion ?? 'unknown',
    runtimeVersion: each.runtimeVersion ?? 'none',
    flagrouteVersion: each.flagrouteVersion,
    lastSeen: `${Number(each.secondsSinceSeen.toFixed(1))} s ago`,
    skew: {
      config: each.state === 'live' && (each.configVersion ?? 'unknown') !== config,
      runtime: each.state === 'live' && !applied(each, status.runtimeVersion),
      flagroute: each.state === 'live' && each.flagrouteVersion !== flagroute,
    },
    killSwitchApplied:
      killSwitch === null || each.state !== 'live' ? null : applied(each, status.runtimeVersion),
  }));
  const count = (state: FleetInstance['state']) =>
    status.instances.filter((each) => each.state === state).length;
  return {
    store: status.store,
    summary: `${count('live')} live, ${count('stale')} stale (no heartbeat for ${status.staleAfterMs / 1000} s), ${count('stopped')} stopped lately; store runtime version ${status.runtimeVersion ?? 'none'}`,
    instances,
    skew: status.skew,
    killSwitch: killSwitchText(instances, killSwitch, status.runtimeVersion),
    error: null,
  };
}

function killSwitchText(
  instances: readonly InstanceRow[],
  killSwitch: string | null,
  version: string | null,
): string {
  if (killSwitch === null) return 'no kill switch engaged';
  const live = instances.filter((each) => each.state === 'live');
  const missing = live.filter((each) => each.killSwitchApplied === false);
  const done = `kill switch (${killSwitch}) applied by ${live.length - missing.length} of ${live.length} live instance${live.length === 1 ? '' : 's'} (runtime version ${version ?? 'none'})`;
  return missing.length === 0
    ? done
    : `${done}; not yet: ${missing.map((each) => each.name).join(', ')}`;
}

/** The fleet panel when the store could not be read: what went wrong, nothing else. */
export function unreadableFleet(error: string): FleetPanel {
  return { store: '', summary: '', instances: [], skew: [], killSwitch: '', error };
}
