import { LRUCache } from 'lru-cache';
import type { ConfigResult } from '../config/issues.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { EnvironmentSettings } from '../config/types.js';
import { compileRules } from '../rules/compile-rules.js';
import { RuleEvaluator } from '../rules/rule-evaluator.js';
import { userBucket } from './bucket.js';

/** Buckets kept per snapshot: the hash is the dearest step of a decision. */
export const BUCKET_CACHE_SIZE = 100_000;
/**
 * Identifiers longer than this are hashed every time, never cached, so the cache holds at most
 * {@link BUCKET_CACHE_SIZE} x (2 x 128 + about 100) bytes, about 36 MB, whatever the ids.
 */
export const MAX_CACHED_IDENTIFIER_LENGTH = 128;

/**
 * Everything one decision reads, built once per load and replaced whole on reload or runtime
 * change: the settings in force, the rule engines and the caches tied to them.
 */
export interface RoutingSnapshot {
  readonly config: LoadedConfig;
  /** The settings in force: the loaded ones with runtime changes applied. */
  readonly settings: Readonly<EnvironmentSettings>;
  readonly evaluator: RuleEvaluator;
  /** Bucket of an identifier under this snapshot's salt. */
  bucketOf(identifier: string): number;
  /** Empties the caches (the router's `close`); decisions still work, uncached. */
  release(): void;
}

/** A snapshot, or the problems that kept it from being built. */
export type SnapshotResult = ConfigResult<{ snapshot: RoutingSnapshot }>;

/** Builds a snapshot from a loaded config, or reports the rules json-rules-engine rejects. */
export function buildSnapshot(
  config: LoadedConfig,
  options: { ruleMemoSize?: number; bucketCacheSize?: number } = {},
): SnapshotResult {
  const compiled = compileRules(config.routingRules, config.geographicRouting);
  if (!compiled.ok) return compiled;
  const evaluator = new RuleEvaluator(compiled.rules, options.ruleMemoSize);
  return { ok: true, snapshot: withSettings(config, config.settings, evaluator, options) };
}

/** A snapshot of the same config and engines with other settings (runtime changes). */
export function withSettings(
  config: LoadedConfig,
  settings: Readonly<EnvironmentSettings>,
  evaluator: RuleEvaluator,
  options: { bucketCacheSize?: number } = {},
): RoutingSnapshot {
  const salt = settings.user_hash_salt;
  const size = options.bucketCacheSize ?? BUCKET_CACHE_SIZE;
  // Bounded in bytes by entries times the longest identifier cached (no per-entry size
  // accounting). lru-cache keeps its entries in typed arrays and one Map, so churn leaves
  // little for the garbage collector: toad-cache's first-in-first-out cache, with an object
  // per entry, hit about 50 ns faster but its evictions made collector pauses of 25 ms (5 ms
  // here) over 3 million distinct users. Hits use `peek`: no recency bookkeeping (about 40 ns),
  // so the order of eviction is first in, first out; a hot user evicted costs one hash.
  const buckets = size > 0 ? new LRUCache<string, number>({ max: size }) : null;
  return {
    config,
    settings,
    evaluator,
    bucketOf(identifier) {
      if (buckets === null || identifier.length > MAX_CACHED_IDENTIFIER_LENGTH) {
        return userBucket(identifier, salt);
      }
      let bucket = buckets.peek(identifier);
      if (bucket === undefined) {
        bucket = userBucket(identifier, salt);
        buckets.set(identifier, bucket);
      }
      return bucket;
    },
    release() {
      buckets?.clear();
      evaluator.release();
    },
  };
}
