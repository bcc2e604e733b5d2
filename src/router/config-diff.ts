import type { LoadedConfig } from '../config/load-config.js';
import { maskSecret } from '../config/secrets.js';
import type { EnvironmentSettings } from '../config/types.js';
import type { ChangedKey } from './events.js';

/** What differs between two configurations: settings (the salt masked), rules and regions. */
export function diffConfigs(before: LoadedConfig, after: LoadedConfig): ChangedKey[] {
  const changes = diffSettings(before.settings, after.settings);
  const rulesBefore = new Map(before.routingRules.map((rule) => [rule.name, rule.spec]));
  const rulesAfter = new Map(after.routingRules.map((rule) => [rule.name, rule.spec]));
  for (const name of new Set([...rulesBefore.keys(), ...rulesAfter.keys()])) {
    const from = rulesBefore.get(name) ?? null;
    const to = rulesAfter.get(name) ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to))
      changes.push({ key: `routing_rules.${name}`, from, to });
  }
  const regionsBefore = new Map(
    before.geographicRouting.map((r) => [r.region, r.rolloutPercentage]),
  );
  const regionsAfter = new Map(after.geographicRouting.map((r) => [r.region, r.rolloutPercentage]));
  for (const region of new Set([...regionsBefore.keys(), ...regionsAfter.keys()])) {
    const from = regionsBefore.get(region) ?? null;
    const to = regionsAfter.get(region) ?? null;
    if (from !== to) changes.push({ key: `geographic_routing.${region}`, from, to });
  }
  return changes;
}

function diffSettings(before: EnvironmentSettings, after: EnvironmentSettings): ChangedKey[] {
  const changes: ChangedKey[] = [];
  for (const key of Object.keys(after) as (keyof EnvironmentSettings)[]) {
    const from = before[key];
    const to = after[key];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    if (key === 'user_hash_salt') {
      changes.push({ key, from: maskSecret(String(from)), to: maskSecret(String(to)) });
    } else {
      changes.push({ key, from, to });
    }
  }
  return changes;
}
