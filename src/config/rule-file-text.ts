import { isMap, isPair, isScalar, type LineCounter, type Node, type Pair } from 'yaml';
import type { ConfigIssue } from './issues.js';
import type { RuleFileResult, RuleFileSection } from './loaded-config.js';
import { rulesJsonOf } from './rules-json.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import type { RoutingRuleSpec, RuleFileContent } from './types.js';
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
  const valid: RuleFileContent = content;
  const rules = sectionOf(read.file, 'routing_rules', valid.routing_rules);
  const issues = checkRuleSemantics(rules, read.file);
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    displayPath,
    rules,
    regions: sectionOf(read.file, 'geographic_routing', valid.geographic_routing),
    rulesJson: rulesJsonOf(rules.names, rules.values),
  };
}

function checkRuleSemantics(
  { names, values }: RuleFileSection<RoutingRuleSpec>,
  file: YamlFile,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (let index = 0; index < names.length; index += 1) {
    const name = names[index]!;
    const spec = values[index]!;
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
 * A valid section as columns (see `RuleFileSection`), with where each name is written: one pass
 * over the section's pairs (the first pair of a name, as `positionOf` finds it), rather than a
 * search per name. The pairs are in the object's order unless a name is integer-like (the
 * object puts those first): then a map of names finds each pair's place.
 */
function sectionOf<Value>(
  file: YamlFile,
  key: (typeof SECTIONS)[number],
  section: Record<string, Value> | undefined,
): RuleFileSection<Value> {
  const names = Object.keys(section ?? {});
  const values = new Array<Value>(names.length);
  for (let index = 0; index < names.length; index += 1) values[index] = section![names[index]!]!;
  const places = new Int32Array(names.length * 4);
  const contents = file.document.contents;
  const map = isMap(contents) ? contents.get(key, true) : undefined;
  if (names.length === 0 || !isMap(map)) return { names, values, places };
  const pairs = map.items as unknown[];
  if (inObjectOrder(pairs, names)) {
    const lines = new LineCursor(file.lineCounter);
    for (let index = 0; index < names.length; index += 1) {
      const pair = pairs[index] as Pair<Node, unknown>;
      const keyAt = (pair.key.range?.[0] ?? 0) as number;
      const valueAt = isNode(pair.value) ? (pair.value.range?.[0] ?? 0) : keyAt;
      lines.place(keyAt, places, index * 4);
      lines.place(valueAt, places, index * 4 + 2);
    }
    return { names, values, places };
  }
  const indexOf = new Map(names.map((name, index) => [name, index]));
  for (const pair of pairs) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const index = indexOf.get(name);
    if (index === undefined) continue;
    // The first pair of a name is where it is written: a later one is a duplicate key, refused.
    indexOf.delete(name);
    const keyAt = at(pair.key, file.lineCounter);
    const valueAt = isNode(pair.value) ? at(pair.value, file.lineCounter) : keyAt;
    places[index * 4] = keyAt.line;
    places[index * 4 + 1] = keyAt.col;
    places[index * 4 + 2] = valueAt.line;
    places[index * 4 + 3] = valueAt.col;
  }
  return { names, values, places };
}

/** Whether the section's pairs are its names, one each, in the order of `names`. */
function inObjectOrder(pairs: readonly unknown[], names: readonly string[]): boolean {
  if (pairs.length !== names.length) return false;
  for (let index = 0; index < pairs.length; index += 1) {
    const pair = pairs[index];
    if (!isPair(pair) || !isScalar(pair.key) || String(pair.key.value) !== names[index]) {
      return false;
    }
  }
  return true;
}

/**
 * Line and column of offsets that never decrease, as `LineCounter.linePos` finds them, by
 * moving forward through the line starts: no search and no object per position.
 */
class LineCursor {
  private readonly starts: readonly number[];
  /** The number of line starts at or before the last offset placed: its line, 1-based. */
  private line = 0;

  constructor(lineCounter: LineCounter) {
    this.starts = lineCounter.lineStarts;
  }

  /** Writes the line and column of `offset` at `places[slot]` and `places[slot + 1]`. */
  place(offset: number, places: Int32Array, slot: number): void {
    while (this.line < this.starts.length && this.starts[this.line]! <= offset) this.line += 1;
    if (this.line === 0) {
      places[slot] = 0;
      places[slot + 1] = offset;
      return;
    }
    places[slot] = this.line;
    places[slot + 1] = offset - this.starts[this.line - 1]! + 1;
  }
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && 'range' in value;
}

function at(node: Node, lineCounter: LineCounter): { line: number; col: number } {
  return lineCounter.linePos(node.range?.[0] ?? 0);
}
