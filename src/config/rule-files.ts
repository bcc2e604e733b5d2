import { realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TimeSlice } from '../time-slice.js';
import type { ConfigIssue } from './issues.js';
import type { LoadedRegion, LoadedRule, RuleFileCache, RuleFileResult } from './loaded-config.js';

export type { RuleFileCache, RuleFileResult } from './loaded-config.js';

import type { ReadSession } from './read-session.js';
import { checkRuleFile } from './rule-file-process.js';
import { displayPath, issueAt, readConfigText, type YamlFile } from './yaml-file.js';

/** How an environment may name a rule file. */
export const RULE_FILE_REFERENCE = /^rules\/[A-Za-z0-9_.-]+\.ya?ml$/;

/**
 * Reads, parses and validates one rule file (see `checkRuleFileText`); a large one is parsed
 * in a child process.
 */
export async function readRuleFile(
  path: string,
  shown: string,
  session?: ReadSession,
): Promise<RuleFileResult> {
  const read = await readConfigText(path, shown, session);
  if (!read.ok) return read;
  return checkRuleFile(read.text, path, shown);
}

/** A rule file's problems; those of the file as a whole are reported at its reference. */
function referenceIssues(
  issues: readonly ConfigIssue[],
  envFile: YamlFile,
  index: number,
  reference: string,
): ConfigIssue[] {
  const whole = issues.find(
    (issue) => issue.code === 'FILE_NOT_FOUND' || issue.code === 'FILE_UNREADABLE',
  );
  if (!whole) return [...issues];
  const message =
    whole.code === 'FILE_NOT_FOUND'
      ? `rule file "${reference}" does not exist (looked for ${whole.file})`
      : `rule file "${reference}" ${whole.message}; name a YAML file`;
  return [issueAt(envFile, `/rule_files/${index}`, whole.code, message)];
}

/** Where a rule file really is, when a link takes it outside the config directory. */
async function escapesConfigDir(path: string, configDir: string): Promise<string | undefined> {
  let target: string;
  let root: string;
  try {
    [target, root] = await Promise.all([realpath(path), realpath(configDir)]);
  } catch {
    return undefined; // missing: reported as such when it is read
  }
  const inside = relative(root, target);
  return inside === '..' || inside.startsWith(`..${sep}`) || inside.startsWith(sep)
    ? target
    : undefined;
}

/** The rules and regions of an environment's rule files, or the problems found in them. */
export interface CollectedRules {
  routingRules: LoadedRule[];
  regions: LoadedRegion[];
  /** The rules' stable JSON, one piece per file with rules (see `RuleFileResult`). */
  rulesJson: string[];
  issues: ConfigIssue[];
}

/**
 * Reads the rule files an environment references (through `cache`), and gathers their rules
 * and regions. A missing file is reported at its reference in the environment file; a name
 * defined twice across files is reported at the second definition.
 */
export async function collectRules(
  references: readonly unknown[],
  envFile: YamlFile,
  options: { configDir: string; cwd: string; cache: RuleFileCache; session?: ReadSession },
): Promise<CollectedRules> {
  const collected: CollectedRules = { routingRules: [], regions: [], rulesJson: [], issues: [] };
  const names = new NameRegistry(collected.issues);
  const slice = new TimeSlice();
  for (const [position, reference] of references.entries()) {
    if (typeof reference !== 'string' || !RULE_FILE_REFERENCE.test(reference)) continue;
    const ruleFile = await readReferenced(reference, position, envFile, options);
    if (!ruleFile.ok) {
      collected.issues.push(...ruleFile.issues);
      continue;
    }
    const { displayPath: file, rules, regions } = ruleFile;
    // A file's names are unique within it (they are its sections' keys): they need remembering
    // only for a file after it.
    names.remembering = position < references.length - 1;
    if (ruleFile.rulesJson !== '') collected.rulesJson.push(ruleFile.rulesJson);
    for (let index = 0; index < rules.names.length; index += 1) {
      const name = rules.names[index]!;
      const { places } = rules;
      const pointer = `/routing_rules/${name}`;
      const origin = names.claim('rule', name, file, pointer, places, index);
      if (origin !== undefined) {
        const at = { file, line: places[4 * index + 2]!, column: places[4 * index + 3]! };
        collected.routingRules.push({ name, spec: rules.values[index]!, origin, at, pointer });
      }
      if (slice.due()) await slice.next();
    }
    for (let index = 0; index < regions.names.length; index += 1) {
      const region = regions.names[index]!;
      const pointer = `/geographic_routing/${region}`;
      const origin = names.claim('region', region, file, pointer, regions.places, index);
      if (origin !== undefined) {
        const rolloutPercentage = regions.values[index]!.rollout_percentage;
        collected.regions.push({ region, rolloutPercentage, origin });
      }
      if (slice.due()) await slice.next();
    }
  }
  return collected;
}

/** One rule file an environment names, read once per `cache`; its problems at the reference. */
async function readReferenced(
  reference: string,
  index: number,
  envFile: YamlFile,
  options: { configDir: string; cwd: string; cache: RuleFileCache; session?: ReadSession },
): Promise<RuleFileResult> {
  const path = join(options.configDir, reference);
  const outside = await escapesConfigDir(path, options.configDir);
  if (outside !== undefined) {
    const message = `rule file "${reference}" is a link to ${outside}, outside the config directory; rule files must lie inside it`;
    const issue = issueAt(envFile, `/rule_files/${index}`, 'PATH_OUTSIDE_CONFIG_DIR', message);
    return { ok: false, issues: [issue] };
  }
  let pending = options.cache.get(path);
  if (!pending) {
    pending = readRuleFile(path, displayPath(path, options.cwd), options.session);
    options.cache.set(path, pending);
  }
  const ruleFile = await pending;
  if (ruleFile.ok) return ruleFile;
  return { ok: false, issues: referenceIssues(ruleFile.issues, envFile, index, reference) };
}

/**
 * Rule and region names across an environment's rule files: each may be defined once. The
 * names of a file are remembered only while {@link remembering} (a file comes after it), and
 * looked up only once some were: a configuration of one file of 10,000 rules put 10,000 names
 * in a map, and looked each one up, to find none twice (about 7 ms of a reload's work on the
 * event loop, and the map's garbage).
 */
class NameRegistry {
  private readonly seen = { rule: new Map<string, string>(), region: new Map<string, string>() };
  /** Whether the names claimed now are remembered for the files after. */
  remembering = true;

  constructor(private readonly issues: ConfigIssue[]) {}

  /**
   * The origin (`file:line`) of a new name, or undefined (and an issue at its key) when it was
   * defined before; `places` and `index` are its section's (see `RuleFileSection`).
   */
  claim(
    kind: 'rule' | 'region',
    name: string,
    file: string,
    pointer: string,
    places: Int32Array,
    index: number,
  ): string | undefined {
    const seen = this.seen[kind];
    const previous = seen.size > 0 ? seen.get(name) : undefined;
    const line = places[4 * index]!;
    if (previous !== undefined) {
      const message = `${kind} "${name}" is already defined at ${previous}`;
      const column = places[4 * index + 1]!;
      this.issues.push({ code: 'DUPLICATE_NAME', file, line, column, pointer, message });
      return undefined;
    }
    const origin = `${file}:${line}`;
    if (this.remembering) seen.set(name, origin);
    return origin;
  }
}
