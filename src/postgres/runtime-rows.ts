import type { KillSwitch, RuntimeLayer, RuntimeState } from '../rollout-layers/index.js';
import type { Rows } from './store-pool.js';

/** The columns of `flagroute.runtime_state` that make a runtime state. */
export const RUNTIME_COLUMNS = `version, rollout_percentage, rollout_origin, rollout_reason, rollout_set_at,
  kill_switch, kill_switch_trigger, kill_switch_reason, kill_switch_at, kill_switch_previous_percentage,
  shadow_percentage`;

const isoOf = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

/** The runtime state a `runtime_state` row holds (none: no runtime layer, no kill switch). */
export function runtimeStateOf(row: Rows[number] | undefined): RuntimeState {
  if (!row) return { runtime: null, killSwitch: null };
  const runtime: RuntimeLayer | null =
    row.rollout_percentage === null
      ? null
      : {
          percentage: Number(row.rollout_percentage),
          setBy: row.rollout_origin as RuntimeLayer['setBy'],
          reason: String(row.rollout_reason ?? ''),
          at: isoOf(row.rollout_set_at),
          ...(row.shadow_percentage === null || row.shadow_percentage === undefined
            ? {}
            : { shadowPercentage: Number(row.shadow_percentage) }),
        };
  const killSwitch: KillSwitch | null = row.kill_switch
    ? {
        trigger: (row.kill_switch_trigger ?? 'manual') as KillSwitch['trigger'],
        reason: String(row.kill_switch_reason),
        at: isoOf(row.kill_switch_at),
        previousPercentage: Number(row.kill_switch_previous_percentage ?? 0),
      }
    : null;
  return { runtime, killSwitch };
}
