import type { ConfigResult } from './issues.js';
import type {
  EnvironmentSettings,
  RegionRollout,
  RollbackBlock,
  RoutingRuleSpec,
  RuntimeBlock,
} from './types.js';
import type { YamlFile } from './yaml-file.js';

/** Where a value came from: `default`, `file:line`, a variable's name, or `runtime`. */
export type Origin = string;

/** An eligibility rule with where it was written. */
export interface LoadedRule {
  readonly name: string;
  readonly spec: RoutingRuleSpec;
  readonly origin: Origin;
  /** Where the rule's value is written, for error positions; absent when from a variable. */
  readonly at?: { readonly file: string; readonly line: number; readonly column: number };
  readonly pointer: string;
}

/**
 * One section of a valid rule file (`routing_rules`, `geographic_routing`) as columns: the
 * names in the order of the section's object (integer-like names first, then as written), the
 * value of each, and where each is written. Columns rather than an object per name: a file of
 * 10,000 rules made 10,000 keys of one object, 10,000 entries and 10,000 place objects on the
 * event loop, and every one of them was copied by the collections the reload ran into.
 */
export interface RuleFileSection<Value> {
  readonly names: readonly string[];
  readonly values: readonly Value[];
  /**
   * Four numbers per name, at `4 * index`: the line and column (1-based) of its key, then of
   * its value.
   */
  readonly places: Int32Array;
}

/** A region's rollout percentage with where it was written. */
export interface LoadedRegion {
  readonly region: string;
  readonly rolloutPercentage: number;
  readonly origin: Origin;
}

/**
 * The layers of the rollout percentage as one load read them, lowest first: the file's value
 * (or the default), a variable, and the two blocks file mode's runtime store keeps in the
 * environment file. What they add up to is decided in one place, `effective` of
 * `src/rollout-layers`; `settings.rollout_percentage` is the file's value with the variable.
 */
export interface LoadedRolloutLayers {
  /** The environment file's value, or the schema default. */
  readonly file: { readonly value: number; readonly origin: Origin };
  /** A `LIGHTRAG_ROLLOUT_PERCENTAGE` variable. */
  readonly variable?: { readonly value: number; readonly variable: string };
  /** The file's `runtime:` block: the runtime layer, above the file and the variable. */
  readonly runtime?: { readonly block: Readonly<RuntimeBlock>; readonly origin: Origin };
  /** The file's `rollback:` block: 0 % everywhere while it is there. */
  readonly killSwitch?: { readonly block: Readonly<RollbackBlock>; readonly origin: Origin };
}

/** One environment's configuration: validated, defaults filled in, variables applied. */
export interface LoadedConfig {
  readonly environment: string;
  readonly configDir: string;
  readonly settings: Readonly<EnvironmentSettings>;
  readonly routingRules: readonly LoadedRule[];
  readonly geographicRouting: readonly LoadedRegion[];
  /** Setting path (`rollout_percentage`, `quality_gate.window_size`) -> origin. */
  readonly origins: ReadonlyMap<string, Origin>;
  /** Where the rollout percentage comes from, layer by layer. */
  readonly rolloutLayers: LoadedRolloutLayers;
  /** The environment file. */
  readonly environmentFile: YamlFile;
  /** Content hash of the effective configuration. */
  readonly version: string;
}

/** The environment used when none is named. */
export const DEFAULT_ENVIRONMENT = 'development';

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory holding `environments/` and `rules/`. */
  configDir: string;
  environment?: string;
  /** Variables to read `LIGHTRAG_*` overrides from; pass `{}` to ignore them. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of the file paths shown in messages. */
  cwd?: string;
  /** Shares parsed rule files between environments of one validation run. */
  ruleFileCache?: RuleFileCache;
  /**
   * Every file read must have been unchanged this long (and unchanged while it was read) before
   * its content is used; otherwise the load is done again. Default 40 ms; 0 checks only that
   * nothing changed during the read.
   */
  stabilityMs?: number;
}

/** What {@link tryLoadConfig} returns: the configuration, or every problem. */
export type LoadResult = ConfigResult<{ config: LoadedConfig }>;

/**
 * A rule file, read and validated, with where each rule and region is written; or its
 * problems. Plain data, so that a child process can send it.
 */
export type RuleFileResult = ConfigResult<{
  displayPath: string;
  rules: RuleFileSection<RoutingRuleSpec>;
  regions: RuleFileSection<RegionRollout>;
  /**
   * The stable JSON of each rule as the configuration's version hashes it (`{"name":…,"spec":…}`,
   * keys sorted), joined by commas: made where the file is parsed (in the child process for a
   * large file), so that the event loop hashes one string instead of stringifying every rule.
   */
  rulesJson: string;
}>;

/** Parsed rule files by absolute path, shared by the environments of one validation run. */
export type RuleFileCache = Map<string, Promise<RuleFileResult>>;
