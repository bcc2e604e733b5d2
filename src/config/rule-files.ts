import { join } from 'node:path';
import type { ConfigIssue } from './issues.js';
import type { LoadedRegion, LoadedRule } from './load-config.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import type { RuleFileContent } from './types.js';
import { displayPath, issueAt, originOf, readYamlFile, type YamlFile } from './yaml-file.js';

/** A rule file, read and validated, or its problems. */
export type RuleFileResult =
  | { ok: true; file: YamlFile; content: RuleFileContent }
  | { ok: false; issues: ConfigIssue[] };

/** Parsed rule files by absolute path, shared by the environments of one validation run. */
export type RuleFileCache = Map<string, Promise<RuleFileResult>>;

/** How an environment may name a rule file. */
export const RULE_FILE_REFERENCE = /^rules\/[A-Za-z0-9_.-]+\.ya?ml$/;

/** Reads, parses and validates one rule file. */
export async function readRuleFile(path: string, shown: string): Promise<RuleFileResult> {
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
        issues.push(
          issueAt(
            file,
            `/routing_rules/${name}/max_length`,
            'INVALID_RULE',
            `max_length (${spec.max_length}) must be at least min_length (${min})`,
          ),
        );
      }
    }
  }
  return issues;
}

/** The rules and regions of an environment's rule files, or the problems found in them. */
export interface CollectedRules {
  routingRules: LoadedRule[];
  regions: LoadedRegion[];
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
  options: { configDir: string; cwd: string; cache: RuleFileCache },
): Promise<CollectedRules> {
  const collected: CollectedRules = { routingRules: [], regions: [], issues: [] };
  const seen = { rule: new Map<string, string>(), region: new Map<string, string>() };
  const claim = (kind: 'rule' | 'region', name: string, file: YamlFile, pointer: string) => {
    const previous = seen[kind].get(name);
    if (previous !== undefined) {
      collected.issues.push(
        issueAt(
          file,
          pointer,
          'DUPLICATE_NAME',
          `${kind} "${name}" is already defined at ${previous}`,
          'key',
        ),
      );
      return undefined;
    }
    const origin = originOf(file, pointer);
    seen[kind].set(name, origin);
    return origin;
  };
  for (const [index, reference] of references.entries()) {
    if (typeof reference !== 'string' || !RULE_FILE_REFERENCE.test(reference)) continue;
    const path = join(options.configDir, reference);
    let pending = options.cache.get(path);
    if (!pending) {
      pending = readRuleFile(path, displayPath(path, options.cwd));
      options.cache.set(path, pending);
    }
    const ruleFile = await pending;
    if (!ruleFile.ok) {
      const missing = ruleFile.issues.find((issue) => issue.code === 'FILE_NOT_FOUND');
      collected.issues.push(
        ...(missing
          ? [
              issueAt(
                envFile,
                `/rule_files/${index}`,
                'FILE_NOT_FOUND',
                `rule file "${reference}" does not exist (looked for ${missing.file})`,
              ),
            ]
          : ruleFile.issues),
      );
      continue;
    }
    const { file, content } = ruleFile;
    for (const [name, spec] of Object.entries(content.routing_rules ?? {})) {
      const pointer = `/routing_rules/${name}`;
      const origin = claim('rule', name, file, pointer);
      if (origin !== undefined) collected.routingRules.push({ name, spec, origin, file, pointer });
    }
    for (const [region, rollout] of Object.entries(content.geographic_routing ?? {})) {
      const origin = claim('region', region, file, `/geographic_routing/${region}`);
      if (origin !== undefined) {
        collected.regions.push({ region, rolloutPercentage: rollout.rollout_percentage, origin });
      }
    }
  }
  return collected;
}
