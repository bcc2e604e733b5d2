import { isMap, isPair, isScalar, type LineCounter, type Node } from 'yaml';
import type { ConfigIssue } from './issues.js';
import type { NamePlace, RuleFileResult } from './loaded-config.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import type { RuleFileContent } from './types.js';
import { issueAt, parseYamlText, type YamlFile } from './yaml-file.js';

/** The sections of a rule file whose keys are names (of rules, of regions). */
const SECTIONS = ['routing_rules', 'geographic_routing'] as const;

/**
 * Parses, validates and checks the text of one rule file, and finds where each rule and region
 * is written. A file with nothing but comments, or a section whose entries are all commented out
 * (`routing_rules:` with no value), is an empty rule set. A pure function of the text, so that a
 * large file can be checked in a child process (`rule-file-process.ts`) with the same result.
 */
export function checkRuleFileText(text: string, path: string, displayPath: string): RuleFileResult {
  const read = parseYamlText(text, path, displayPath, { emptyIsMapping: true });
  if (!read.ok) return read;
  // The parsed data is this function's own (the file is not kept): validated in place.
  const content = read.file.data;
  for (const section of SECTIONS) {
    if (Object.hasOwn(content, section) && content[section] === null) content[section] = {};
  }
  if (!validators.ruleFile(content)) {
    return {
      ok: false,
      issues: schemaIssues(validators.ruleFile.errors ?? [], { kind: 'file', file: read.file }),
    };
  }
  const issues = checkRuleSemantics(content, read.file);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, displayPath, content, places: placesOf(read.file) };
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

/**
 * Where each name of a valid file is written: one pass over each section's pairs (the first
 * pair of a name, as `positionOf` finds it), rather than a search per name.
 */
function placesOf(file: YamlFile): {
  rules: Map<string, NamePlace>;
  regions: Map<string, NamePlace>;
} {
  const contents = file.document.contents;
  const section = (name: string) => {
    const places = new Map<string, NamePlace>();
    const map = isMap(contents) ? contents.get(name, true) : undefined;
    if (!isMap(map)) return places;
    for (const pair of map.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      if (places.has(name)) continue;
      const key = at(pair.key, file.lineCounter);
      const value = isNode(pair.value) ? at(pair.value, file.lineCounter) : key;
      places.set(name, {
        keyLine: key.line,
        keyColumn: key.col,
        line: value.line,
        column: value.col,
      });
    }
    return places;
  };
  return { rules: section('routing_rules'), regions: section('geographic_routing') };
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && 'range' in value;
}

function at(node: Node, lineCounter: LineCounter): { line: number; col: number } {
  return lineCounter.linePos(node.range?.[0] ?? 0);
}
