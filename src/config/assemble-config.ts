import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import { TimeSlice } from '../time-slice.js';
import { checkRolloutPlan, fillShadowStages } from './check-rollout-plan.js';
import { type EnvironmentOverlay, readEnvironmentOverlay } from './env-overlay.js';
import { missingEnvironment } from './environment-files.js';
import { type ConfigIssue, sortIssues } from './issues.js';
import {
  DEFAULT_ENVIRONMENT,
  type LoadConfigOptions,
  type LoadedConfig,
  type LoadedRegion,
  type LoadedRolloutLayers,
  type LoadedRule,
  type LoadResult,
  type Origin,
  type RuleFileCache,
} from './loaded-config.js';
import type { ReadSession } from './read-session.js';
import { collectRules } from './rule-files.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import { secretsOf } from './secrets.js';
import type { EnvironmentSettings, RegionRollout, RoutingRuleSpec } from './types.js';
import { displayPath, originOf, readYamlFile, type YamlFile } from './yaml-file.js';

const ENVIRONMENT_NAME = /^[A-Za-z0-9_-]+$/;

/** What {@link assembleConfig} needs: the load options, with the rule-file cache to use. */
type AssembleOptions = LoadConfigOptions & { ruleFileCache: RuleFileCache };

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
 * Reads, validates and assembles one environment from files read through `session`; returns
 * every problem found. The salts met along the way are added to `secrets`.
 */
export async function assembleConfig(
  options: AssembleOptions,
  session: ReadSession,
  secrets: string[],
): Promise<LoadResult> {
  const cwd = options.cwd ?? process.cwd();
  // A relative directory is the process's, as a command line means it; `cwd` only names files
  // in messages (serve passes the config directory itself, which resolved against itself was
  // config/config: serve --config-dir config found no directory).
  const configDir = resolve(options.configDir);
  const environment = options.environment ?? DEFAULT_ENVIRONMENT;
  if (!ENVIRONMENT_NAME.test(environment)) return badEnvironmentName(environment);
  const envPath = join(configDir, 'environments', `${environment}.yaml`);
  const read = await readYamlFile(envPath, displayPath(envPath, cwd), { session });
  const overlay = readEnvironmentOverlay(options.env ?? {});
  if (!read.ok) {
    const missing = read.issues.some((issue) => issue.code === 'FILE_NOT_FOUND');
    const issues = missing ? [await missingEnvironment(configDir, environment, cwd)] : read.issues;
    return { ok: false, issues: [...issues, ...overlay.issues] };
  }
  const envFile = read.file;
  secrets.push(...secretsOf(envFile));
  const settings = structuredClone(envFile.data) as unknown as EnvironmentSettings;
  const settingsValid = validators.environment(settings);
  const issues: ConfigIssue[] = settingsValid
    ? checkRolloutPlan(settings, envFile)
    : schemaIssues(validators.environment.errors ?? [], { kind: 'file', file: envFile });
  // Rule files are checked even when the environment file has errors, to report everything.
  const references = Array.isArray(settings.rule_files) ? settings.rule_files : [];
  const cache: RuleFileCache = options.ruleFileCache ?? new Map();
  const rules = await collectRules(references, envFile, { configDir, cwd, cache, session });
  issues.push(...rules.issues, ...overlay.issues);
  if (issues.length > 0 || !settingsValid) return { ok: false, issues: sortIssues(issues) };
  fillShadowStages(settings);
  return {
    ok: true,
    config: await assemble({ environment, configDir, envFile, settings, overlay, rules }),
  };
}

function badEnvironmentName(environment: string): LoadResult {
  const message = `environment name ${JSON.stringify(environment)} is not allowed; use letters, digits, _ and -`;
  return {
    ok: false,
    issues: [
      { code: 'INVALID_ENVIRONMENT', file: null, line: null, column: null, pointer: '', message },
    ],
  };
}

/** Layers the valid parts into the configuration: file, variables; origins; version. */
async function assemble(parts: {
  environment: string;
  configDir: string;
  envFile: YamlFile;
  settings: EnvironmentSettings;
  overlay: EnvironmentOverlay;
  rules: { routingRules: LoadedRule[]; regions: LoadedRegion[]; rulesJson: string[] };
}): Promise<LoadedConfig> {
  const { envFile, settings, overlay, rules } = parts;
  const origins = fileOrigins(settings, envFile);
  const fileRollout = {
    value: settings.rollout_percentage,
    origin: origins.get('rollout_percentage') ?? 'default',
  };
  applyOverlay(settings, overlay, origins);
  const rolloutLayers = rolloutLayersOf(settings, envFile, fileRollout, overlay);
  const effective = overlayRules(overlay, rules.routingRules, rules.regions);
  return {
    environment: parts.environment,
    configDir: parts.configDir,
    settings: deepFreeze(settings),
    routingRules: effective.rules,
    geographicRouting: effective.regions,
    origins,
    rolloutLayers,
    environmentFile: envFile,
    version: await configVersion(
      settings,
      effective.rules,
      effective.regions,
      new TimeSlice(),
      // The rule files' own JSON of their rules, unless a variable replaced them.
      effective.rules === rules.routingRules ? rules.rulesJson : undefined,
    ),
  };
}

/** Where each setting came from: its line in the file, or the schema default. */
function fileOrigins(settings: EnvironmentSettings, envFile: YamlFile): Map<string, Origin> {
  const origins = new Map<string, Origin>();
  for (const path of settingPaths(settings)) {
    const pointer = `/${path.join('/')}`;
    const written = hasPath(envFile.data, path);
    origins.set(path.join('.'), written ? originOf(envFile, pointer) : 'default');
  }
  return origins;
}

/**
 * Records the layers of the rollout percentage the files give; what they add up to is decided
 * by `effective` (src/rollout-layers), so the settings keep the file's value with the variable.
 */
function rolloutLayersOf(
  settings: EnvironmentSettings,
  envFile: YamlFile,
  file: LoadedRolloutLayers['file'],
  overlay: EnvironmentOverlay,
): LoadedRolloutLayers {
  const variable = overlay.settings.get('rollout_percentage');
  const layers: { -readonly [K in keyof LoadedRolloutLayers]: LoadedRolloutLayers[K] } = { file };
  if (variable) layers.variable = { value: variable.value as number, variable: variable.variable };
  if (settings.runtime !== null) {
    layers.runtime = { block: settings.runtime, origin: originOf(envFile, '/runtime') };
  }
  if (settings.rollback !== null) {
    layers.killSwitch = { block: settings.rollback, origin: originOf(envFile, '/rollback') };
  }
  return layers;
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

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Content hash of an effective configuration: equal configs share a version. The hash of the
 * stable JSON of `{settings, rules, regions}`, hashed piece by piece (the same bytes as
 * stringifying the whole, whose keys sort as regions, rules, settings), giving the event loop
 * back every time `slice` is due: one string of 10,000 rules held it for tens of milliseconds.
 * `rulesJson`, when given, is the rules' stable JSON already made, in pieces that joined by
 * commas are the list's content (as rule files give it, see `RuleFileResult`): hashed as it is.
 */
export async function configVersion(
  settings: EnvironmentSettings,
  rules: readonly LoadedRule[],
  regions: readonly LoadedRegion[],
  slice = new TimeSlice(),
  rulesJson?: readonly string[],
): Promise<string> {
  const hash = createHash('sha256');
  // Each item's text goes to the hash as it is made: a slice's worth of texts joined into one
  // string cost more than the texts themselves (10,000 rules: 18 ms against 8, a string of
  // 10,000 pieces flattened and encoded), and kept them all alive until the slice ended.
  const list = async <T>(items: readonly T[], json: (item: T) => string | undefined) => {
    hash.update('[');
    for (const [index, item] of items.entries()) {
      hash.update(index === 0 ? `${json(item)}` : `,${json(item)}`);
      if (slice.due()) await slice.next();
    }
    hash.update(']');
  };
  hash.update('{"regions":');
  await list(regions, ({ region, rolloutPercentage }) => stringify({ region, rolloutPercentage }));
  hash.update(',"rules":');
  if (rulesJson) {
    // A piece is a rule file's rules, up to a megabyte of text: about 2 ms of hashing.
    hash.update('[');
    for (const [index, piece] of rulesJson.entries()) {
      hash.update(index === 0 ? piece : `,${piece}`);
      if (slice.due()) await slice.next();
    }
    hash.update(']');
  } else {
    await list(rules, ({ name, spec }) => stringify({ name, spec }));
  }
  hash.update(`,"settings":${stringify(settings)}}`);
  return hash.digest('hex').slice(0, 12);
}
