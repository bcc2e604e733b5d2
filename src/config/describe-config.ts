import type { LoadedConfig, Origin } from './loaded-config.js';
import { maskSecret } from './secrets.js';
import type { RoutingRuleSpec } from './types.js';

/** One effective setting with where it came from; the salt is masked. */
export interface SettingRow {
  key: string;
  value: unknown;
  origin: Origin;
}

/** The effective configuration of one environment, every value with its origin. */
export interface ConfigDescription {
  environment: string;
  configVersion: string;
  /** Sorted by key; nested keys as `quality_gate.window_size`. */
  settings: SettingRow[];
  routing_rules: { name: string; rule: RoutingRuleSpec; origin: Origin }[];
  geographic_routing: { region: string; rollout_percentage: number; origin: Origin }[];
}

/**
 * What `flagroute config` shows: every effective value with its origin, the salt masked.
 * `rollout` is the effective rollout (every layer applied, from `src/rollout-layers`), shown
 * in place of the file's value with the variable.
 */
export function describeConfig(
  config: LoadedConfig,
  rollout?: { value: number; origin: Origin },
): ConfigDescription {
  const settings = [...config.origins.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, origin]) => {
      if (key === 'rollout_percentage' && rollout) return { key, ...rollout };
      const value = key
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], config.settings);
      return { key, value: key === 'user_hash_salt' ? maskSecret(String(value)) : value, origin };
    });
  return {
    environment: config.environment,
    configVersion: config.version,
    settings,
    routing_rules: config.routingRules.map(({ name, spec, origin }) => ({
      name,
      rule: spec,
      origin,
    })),
    geographic_routing: config.geographicRouting.map((region) => ({
      region: region.region,
      rollout_percentage: region.rolloutPercentage,
      origin: region.origin,
    })),
  };
}
