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

/** What `flagroute config` shows: every effective value with its origin, the salt masked. */
export function describeConfig(config: LoadedConfig): ConfigDescription {
  const settings = [...config.origins.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, origin]) => {
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

/** What one region serves now, and what it is configured to serve. */
export interface RegionShare {
  /** The region's effective percentage: 0 while the rollout is 0 (a rollback holds everywhere). */
  rolloutPercentage: number;
  configured: number;
  origin: Origin;
}

/** Each region's effective share under an effective rollout percentage. */
export function regionShares(config: LoadedConfig, effective: number): Record<string, RegionShare> {
  return Object.fromEntries(
    config.geographicRouting.map((region) => [
      region.region,
      {
        rolloutPercentage: effective > 0 ? region.rolloutPercentage : 0,
        configured: region.rolloutPercentage,
        origin: region.origin,
      },
    ]),
  );
}
