import type { ConfigIssue } from './issues.js';
import { sectionEntriesOf } from './lazy-yaml-file.js';
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
  const read = parseYamlText(text, path, displayPath, { emptyIsMapping: true, sections: SECTIONS });
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
 * over the section's entries (the first entry of a name, as `positionOf` finds it), rather than
 * a search per name. The entries are in the object's order unless a name is integer-like (the
 * object puts those first): then a map of names finds each entry's place.
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
  if (names.length === 0) return { names, values, places };
  const entries = sectionEntriesOf(file, key);
  const lines = new LineCursor(entries.lineStarts);
  if (sameOrder(entries.names, names)) {
    for (let index = 0; index < names.length; index += 1) {
      lines.place(entries.keyOffsets[index]!, places, index * 4);
      lines.place(entries.valueOffsets[index]!, places, index * 4 + 2);
    }
    return { names, values, places };
  }
  const indexOf = new Map(names.map((name, index) => [name, index]));
  for (let entry = 0; entry < entries.names.length; entry += 1) {
    const name = entries.names[entry]!;
    const index = indexOf.get(name);
    if (index === undefined) continue;
    // The first entry of a name is where it is written: a later one is a duplicate key, refused.
    indexOf.delete(name);
    placeAt(entries.lineStarts, entries.keyOffsets[entry]!, places, index * 4);
    placeAt(entries.lineStarts, entries.valueOffsets[entry]!, places, index * 4 + 2);
  }
  return { names, values, places };
}

/** Whether the section's entries are its names, one each, in the order of `names`. */
function sameOrder(entries: readonly string[], names: readonly string[]): boolean {
  if (entries.length !== names.length) return false;
  for (let index = 0; index < entries.length; index += 1) {
    if (entries[index] !== names[index]) return false;
  }
  return true;
}

/** Writes the line and column of `offset`, as `LineCounter.linePos` finds them, at `slot`. */
function placeAt(
  starts: readonly number[],
  offset: number,
  places: Int32Array,
  slot: number,
): void {
  let low = 0;
  let high = starts.length;
  // The number of line starts at or before `offset`: its line, 1-based.
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (starts[middle]! <= offset) low = middle + 1;
    else high = middle;
  }
  places[slot] = low;
  places[slot + 1] = low === 0 ? offset : offset - starts[low - 1]! + 1;
}

/**
 * Line and column of offsets that never decrease, as `LineCounter.linePos` finds them, by
 * moving forward through the line starts: no search and no object per position.
 */
class LineCursor {
  private readonly starts: readonly number[];
  /** The number of line starts at or before the last offset placed: its line, 1-based. */
  private line = 0;

  constructor(starts: readonly number[]) {
    this.starts = starts;
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
