import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import { type EnvironmentOverlay, readEnvironmentOverlay } from './env-overlay.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import type {
  EnvironmentSettings,
  RegionRollout,
  RoutingRuleSpec,
  RuleFileContent,
} from './types.js';
import { positionOf, readYamlFile, type YamlFile } from './yaml-file.js';

/** The environment used when none is named. */
export const DEFAULT_ENVIRONMENT = 'development';
const ENVIRONMENT_NAME = /^[A-Za-z0-9_-]+$/;
const RULE_FILE_REFERENCE = /^rules\/[A-Za-z0-9_.-]+\.ya?ml$/;

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
  ruleFileCache?: Map<string, Promise<RuleFileResult>>;
}

type RuleFileResult =
  | { ok: true; file: YamlFile; content: RuleFileContent }
  | { ok: false; issues: ConfigIssue[] };

/** How a path is shown to users: relative to `cwd` when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

async function readRuleFile(path: string, shown: string): Promise<RuleFileResult> {
  const read = await readYamlFile(path, shown);
  if (!read.ok) return read;
  const content = structuredClone(read.file.data);
  if (!validators.ruleFile(content)) {
    return {
      ok: false,
      issues: schemaIssues(validators.ruleFile.errors ?? [], { kind: 'file', file: read.file }),
    };
  }
  const issues = checkRuleSemantics(content, read.file);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, file: read.file, content };
}

function checkRuleSemantics(content: RuleFileContent, file: YamlFile): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, spec] of Object.entries(content.routing_rules ?? {})) {
    if ('type' in spec && spec.type === 'query_length' && spec.max_length !== undefined) {
      const min = spec.min_length ?? 0;
      if (min > spec.max_length) {
        const pointer = `/routing_rules/${name}/max_length`;
        issues.push({
          code: 'INVALID_RULE',
          file: file.displayPath,
          ...positionAt(file, pointer),
          pointer,
          message: `max_length (${spec.max_length}) must be at least min_length (${min})`,
        });
      }
    }
  }
  return issues;
}

function positionAt(file: YamlFile, pointer: string, at: 'key' | 'value' = 'value') {
  const { line, column } = positionOf(file, pointer, at);
  return { line, column };
}

function originOf(file: YamlFile, pointer: string): Origin {
  return `${file.displayPath}:${positionOf(file, pointer, 'key').line}`;
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
  const cache = options.ruleFileCache ?? new Map<string, Promise<RuleFileResult>>();
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

  const routingRules: LoadedRule[] = [];
  const regions: LoadedRegion[] = [];
  const ruleNames = new Map<string, string>();
  const regionNames = new Map<string, string>();
  // Rule files are checked even when the environment file has errors, to report everything.
  const references: unknown[] = Array.isArray(settings.rule_files) ? settings.rule_files : [];
  for (const [index, reference] of references.entries()) {
    if (typeof reference !== 'string' || !RULE_FILE_REFERENCE.test(reference)) continue;
    const path = join(configDir, reference);
    let pending = cache.get(path);
    if (!pending) {
      pending = readRuleFile(path, displayPath(path, cwd));
      cache.set(path, pending);
    }
    const ruleFile = await pending;
    if (!ruleFile.ok) {
      const missing = ruleFile.issues.find((issue) => issue.code === 'FILE_NOT_FOUND');
      if (missing) {
        const pointer = `/rule_files/${index}`;
        issues.push({
          code: 'FILE_NOT_FOUND',
          file: envFile.displayPath,
          ...positionAt(envFile, pointer),
          pointer,
          message: `rule file "${reference}" does not exist (looked for ${missing.file})`,
        });
      } else {
        issues.push(...ruleFile.issues);
      }
      continue;
    }
    const { file, content } = ruleFile;
    for (const [name, spec] of Object.entries(content.routing_rules ?? {})) {
      const pointer = `/routing_rules/${name}`;
      const previous = ruleNames.get(name);
      if (previous !== undefined) {
        issues.push({
          code: 'DUPLICATE_NAME',
          file: file.displayPath,
          ...positionAt(file, pointer, 'key'),
          pointer,
          message: `rule "${name}" is already defined at ${previous}`,
        });
        continue;
      }
      const origin = originOf(file, pointer);
      ruleNames.set(name, origin);
      routingRules.push({ name, spec, origin, file, pointer });
    }
    for (const [region, rollout] of Object.entries(content.geographic_routing ?? {})) {
      const pointer = `/geographic_routing/${region}`;
      const previous = regionNames.get(region);
      if (previous !== undefined) {
        issues.push({
          code: 'DUPLICATE_NAME',
          file: file.displayPath,
          ...positionAt(file, pointer, 'key'),
          pointer,
          message: `region "${region}" is already defined at ${previous}`,
        });
        continue;
      }
      const origin = originOf(file, pointer);
      regionNames.set(region, origin);
      regions.push({ region, rolloutPercentage: rollout.rollout_percentage, origin });
    }
  }
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
  const effectiveRules = overlayRules(overlay, routingRules, regions);
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
      const pointer = `/rollout_plan/stages/${index}/percentage`;
      issues.push({
        code: 'SCHEMA',
        file: file.displayPath,
        ...positionAt(file, pointer),
        pointer,
        message: `stage percentages must increase: ${stage.percentage} follows ${before.percentage}`,
      });
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

/** Lists the YAML files directly inside `dir` (sorted), or none when it does not exist. */
export async function listYamlFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => !entry.name.startsWith('.') && /\.ya?ml$/.test(entry.name))
      .map((entry) => join(dir, entry.name))
      .sort();
  } catch {
    return [];
  }
}

/** Result of validating a whole config directory. */
export interface ValidationReport {
  /** Files read. */
  files: string[];
  /** Every problem, files in name order. */
  issues: ConfigIssue[];
}

/**
 * Validates every environment file and every rule file under `configDir` (and the
 * `LIGHTRAG_*` variables in `env`), collecting every problem rather than stopping at the first.
 */
export async function validateConfigDir(options: {
  configDir: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}): Promise<ValidationReport> {
  const cwd = options.cwd ?? process.cwd();
  const configDir = resolve(cwd, options.configDir);
  const cache = new Map<string, Promise<RuleFileResult>>();
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  const envFiles = await listYamlFiles(join(configDir, 'environments'));
  if (envFiles.length === 0) {
    const expected = join(configDir, 'environments', `${DEFAULT_ENVIRONMENT}.yaml`);
    issues.push({
      code: 'FILE_NOT_FOUND',
      file: displayPath(expected, cwd),
      line: 1,
      column: 1,
      pointer: '',
      message: `no environment files in ${displayPath(join(configDir, 'environments'), cwd)}`,
    });
  }
  for (const envPath of envFiles) {
    files.push(displayPath(envPath, cwd));
    const environment = envPath.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/, '');
    if (envPath.endsWith('.yml')) {
      issues.push({
        code: 'INVALID_ENVIRONMENT',
        file: displayPath(envPath, cwd),
        line: 1,
        column: 1,
        pointer: '',
        message: 'environment files must end in .yaml',
      });
      continue;
    }
    const result = await tryLoadConfig({
      configDir,
      environment,
      env: {},
      cwd,
      ruleFileCache: cache,
    });
    if (!result.ok) issues.push(...result.issues);
  }
  for (const rulePath of await listYamlFiles(join(configDir, 'rules'))) {
    files.push(displayPath(rulePath, cwd));
    if (!cache.has(rulePath))
      cache.set(rulePath, readRuleFile(rulePath, displayPath(rulePath, cwd)));
  }
  for (const pending of cache.values()) {
    const result = await pending;
    if (!result.ok && !result.issues.some((issue) => issue.code === 'FILE_NOT_FOUND')) {
      issues.push(...result.issues);
    }
  }
  issues.push(...readEnvironmentOverlay(options.env ?? {}).issues);
  return { files, issues: sortIssues(dedupe(issues)) };
}

/** Orders issues by file, then position; variable issues last. Sorting is stable. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => {
    if (a.file !== b.file) {
      if (a.file === null) return 1;
      if (b.file === null) return -1;
      return a.file < b.file ? -1 : 1;
    }
    return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
  });
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = stringify(issue) ?? '';
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
