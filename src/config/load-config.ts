import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import { type EnvironmentOverlay, readEnvironmentOverlay } from './env-overlay.js';
import { ConfigError, type ConfigIssue, sortIssues } from './issues.js';
import { collectRules, type RuleFileCache } from './rule-files.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import type { EnvironmentSettings, RegionRollout, RoutingRuleSpec } from './types.js';
import { displayPath, issueAt, originOf, readYamlFile, type YamlFile } from './yaml-file.js';

/** The environment used when none is named. */
export const DEFAULT_ENVIRONMENT = 'development';
const ENVIRONMENT_NAME = /^[A-Za-z0-9_-]+$/;

/** Where a value came from: `default`, `file:line`, a variable's name, or `runtime`. */
export type Origin = string;

/** An eligibility rule with where it was written. */
export interface LoadedRule {
  readonly name: string;
  readonly spec: RoutingRuleSpec;
  readonly origin: Origin;
  /** Rule file the rule is in, for error positions; absent when it came from a variable. */
  readonly file?: YamlFile;
  readonly pointer: string;
}

/** A region's rollout percentage with where it was written. */
export interface LoadedRegion {
  readonly region: string;
  readonly rolloutPercentage: number;
  readonly origin: Origin;
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
  /** The environment file. */
  readonly environmentFile: YamlFile;
  /** Content hash of the effective configuration. */
  readonly version: string;
}

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
}

function hasPath(data: unknown, path: readonly string[]): boolean {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return false;
    node = (node as Record<string, unknown>)[segment];
  }
  return true;
}

function settingPaths(settings: EnvironmentSettings): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const inner of Object.keys(value)) paths.push([key, inner]);
    } else {
      paths.push([key]);
    }
  }
  return paths;
}

/**
 * Reads, validates and assembles one environment. Throws {@link ConfigError} with every problem
 * found (in the environment file, its rule files and the variables), and loads nothing then.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const result = await tryLoadConfig(options);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/** Like {@link loadConfig}, but returns the problems instead of throwing. */
export async function tryLoadConfig(
  options: LoadConfigOptions,
): Promise<{ ok: true; config: LoadedConfig } | { ok: false; issues: ConfigIssue[] }> {
  const cwd = options.cwd ?? process.cwd();
  const configDir = resolve(cwd, options.configDir);
  const environment = options.environment ?? DEFAULT_ENVIRONMENT;
  const cache: RuleFileCache = options.ruleFileCache ?? new Map();
  if (!ENVIRONMENT_NAME.test(environment)) {
    return {
      ok: false,
      issues: [
        {
          code: 'INVALID_ENVIRONMENT',
          file: null,
          line: null,
          column: null,
          pointer: '',
          message: `environment name ${JSON.stringify(environment)} is not allowed; use letters, digits, _ and -`,
        },
      ],
    };
  }
  const envPath = join(configDir, 'environments', `${environment}.yaml`);
  const read = await readYamlFile(envPath, displayPath(envPath, cwd));
  const overlay = readEnvironmentOverlay(options.env ?? {});
  if (!read.ok) return { ok: false, issues: [...read.issues, ...overlay.issues] };
  const envFile = read.file;

  const settings = structuredClone(envFile.data) as EnvironmentSettings;
  const settingsValid = validators.environment(settings);
  const issues: ConfigIssue[] = settingsValid
    ? checkRolloutPlan(settings, envFile)
    : schemaIssues(validators.environment.errors ?? [], { kind: 'file', file: envFile });

  // Rule files are checked even when the environment file has errors, to report everything.
  const rules = await collectRules(
    Array.isArray(settings.rule_files) ? settings.rule_files : [],
    envFile,
    {
      configDir,
      cwd,
      cache,
    },
  );
  issues.push(...rules.issues);
  issues.push(...overlay.issues);
  if (issues.length > 0 || !settingsValid) return { ok: false, issues: sortIssues(issues) };

  const origins = new Map<Origin, Origin>();
  for (const path of settingPaths(settings)) {
    const pointer = `/${path.join('/')}`;
    origins.set(
      path.join('.'),
      hasPath(envFile.data, path) ? originOf(envFile, pointer) : 'default',
    );
  }
  applyOverlay(settings, overlay, origins);
  const effectiveRules = overlayRules(overlay, rules.routingRules, rules.regions);
  const config: LoadedConfig = {
    environment,
    configDir,
    settings: deepFreeze(settings),
    routingRules: effectiveRules.rules,
    geographicRouting: effectiveRules.regions,
    origins,
    environmentFile: envFile,
    version: configVersion(settings, effectiveRules.rules, effectiveRules.regions),
  };
  return { ok: true, config };
}

function checkRolloutPlan(settings: EnvironmentSettings, file: YamlFile): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stages = settings.rollout_plan.stages;
  for (let index = 1; index < stages.length; index += 1) {
    const before = stages[index - 1]!;
    const stage = stages[index]!;
    if (stage.percentage <= before.percentage) {
      issues.push(
        issueAt(
          file,
          `/rollout_plan/stages/${index}/percentage`,
          'SCHEMA',
          `stage percentages must increase: ${stage.percentage} follows ${before.percentage}`,
        ),
      );
    }
  }
  return issues;
}

function applyOverlay(
  settings: EnvironmentSettings,
  overlay: EnvironmentOverlay,
  origins: Map<string, Origin>,
): void {
  const target = settings as unknown as Record<string, unknown>;
  for (const [key, { value, variable }] of overlay.settings) {
    target[key] = value;
    origins.set(key, variable);
  }
}

function overlayRules(
  overlay: EnvironmentOverlay,
  rules: LoadedRule[],
  regions: LoadedRegion[],
): { rules: LoadedRule[]; regions: LoadedRegion[] } {
  const routing = overlay.rules.routing_rules;
  const geography = overlay.rules.geographic_routing;
  return {
    rules: routing
      ? Object.entries(routing.value as Record<string, RoutingRuleSpec>).map(([name, spec]) => ({
          name,
          spec,
          origin: routing.variable,
          pointer: `/${name}`,
        }))
      : rules,
    regions: geography
      ? Object.entries(geography.value as Record<string, RegionRollout>).map(
          ([region, rollout]) => ({
            region,
            rolloutPercentage: rollout.rollout_percentage,
            origin: geography.variable,
          }),
        )
      : regions,
  };
}

/** Content hash of an effective configuration: equal configs share a version. */
export function configVersion(
  settings: EnvironmentSettings,
  rules: readonly LoadedRule[],
  regions: readonly LoadedRegion[],
): string {
  const content = stringify({
    settings,
    rules: rules.map(({ name, spec }) => ({ name, spec })),
    regions: regions.map(({ region, rolloutPercentage }) => ({ region, rolloutPercentage })),
  });
  return createHash('sha256')
    .update(content ?? '')
    .digest('hex')
    .slice(0, 12);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
