import type { ConfigResult } from '../config/issues.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { EnvironmentSettings } from '../config/types.js';
import { compileRules } from '../rules/compile-rules.js';
import { RuleEvaluator } from '../rules/rule-evaluator.js';
import { TimeSlice } from '../time-slice.js';
import { bucketHasher, shadowHasher } from './bucket.js';

/**
 * What the rollout layers say beyond the percentage (the router fills it from
 * `src/rollout-layers`' `effective`): the geography step's cap and what explain names.
 */
export interface RolloutView {
  /** Every region's cap while the runtime layer governs (`min(region %, cap)`), else null. */
  readonly regionCap: number | null;
  /** Where the effective rollout percentage comes from. */
  readonly origin: string;
  /** The kill switch in words while it is engaged, else null. */
  readonly killSwitch: string | null;
}

/** The view of a configuration before the router adds its layers: the file's and variables'. */
function plainView(config: LoadedConfig): RolloutView {
  return {
    regionCap: null,
    origin: config.origins.get('rollout_percentage') ?? 'default',
    killSwitch: null,
  };
}

/**
 * Everything one decision reads, built once per load and replaced whole on reload or runtime
 * change: the settings in force, the rule engines and the caches tied to them.
 */
export interface RoutingSnapshot {
  readonly config: LoadedConfig;
  /** The settings in force: the loaded ones with runtime changes applied. */
  readonly settings: Readonly<EnvironmentSettings>;
  /** What the rollout layers add beyond `settings.rollout_percentage`. */
  readonly rollout: RolloutView;
  readonly evaluator: RuleEvaluator;
  /** Bucket of an identifier under this snapshot's salt. */
  bucketOf(identifier: string): number;
  /** The shadow's draw of a request (see `shadowHasher`) under this snapshot's salt. */
  shadowDrawOf(identifier: string, requestKey: string): number;
  /** Empties the caches (the router's `close`); decisions still work, uncached. */
  release(): void;
}

/** A snapshot, or the problems that kept it from being built. */
export type SnapshotResult = ConfigResult<{ snapshot: RoutingSnapshot }>;

/**
 * Builds a snapshot from a loaded config, or reports the rules json-rules-engine rejects; a
 * config of thousands of rules is compiled in slices of a few milliseconds.
 */
export async function buildSnapshot(
  config: LoadedConfig,
  options: { ruleMemoSize?: number } = {},
): Promise<SnapshotResult> {
  const slice = new TimeSlice();
  const compiled = await compileRules(config.routingRules, config.geographicRouting, slice);
  if (!compiled.ok) return compiled;
  const evaluator = await RuleEvaluator.build(compiled.rules, options.ruleMemoSize, slice);
  const snapshot = withSettings(config, config.settings, evaluator, plainView(config));
  return { ok: true, snapshot };
}

/**
 * A snapshot of the same config and engines with other settings (runtime changes). Buckets are
 * hashed on every decision that reaches assignment, never cached: a cache of 100,000 buckets
 * (lru-cache, hits by `peek`) was no faster on fresh realistic traffic, where its hits saved
 * what its misses cost, and about 0.5 us a decision slower for users never seen before (lookup,
 * insert, eviction and their garbage); see docs/performance.md.
 */
export function withSettings(
  config: LoadedConfig,
  settings: Readonly<EnvironmentSettings>,
  evaluator: RuleEvaluator,
  rollout: RolloutView,
): RoutingSnapshot {
  return {
    config,
    settings,
    rollout,
    evaluator,
    bucketOf: bucketHasher(settings.user_hash_salt),
    shadowDrawOf: shadowHasher(settings.user_hash_salt),
    release() {
      evaluator.release();
    },
  };
}
