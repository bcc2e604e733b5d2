import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The rules of a large configuration: half query-length rules, half query-type rules. `edit`
 * is added to the first rule's `max_length`: a reload of another edit changes one rule.
 */
export function ruleEntries(first: number, last: number, edit = 0): string[] {
  const lines: string[] = [];
  for (let index = first; index < last; index += 1) {
    if (index % 2 === 0) {
      lines.push(
        `  rule_${index}:`,
        '    type: query_length',
        `    min_length: ${100 + (index % 50)}`,
        `    max_length: ${1000 + index + (index === 0 ? edit : 0)}`,
      );
    } else {
      lines.push(
        `  rule_${index}:`,
        '    type: query_type',
        '    allowed_types: [metabolomics, clinical]',
      );
    }
  }
  return lines;
}

/**
 * The text of the first of the `files` rule files holding `rules` rules between them (the one
 * with rule 0 and the ten regions), with `edit` added to rule 0's `max_length`.
 */
export function firstRuleFileText(rules: number, files: number, edit: number): string {
  const lines = ['routing_rules:', ...ruleEntries(0, Math.ceil(rules / files), edit)];
  lines.push('geographic_routing:');
  for (let region = 0; region < 10; region += 1) {
    lines.push(`  region_${region}:`, `    rollout_percentage: ${region * 10}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The path of the first rule file under a config directory, and its reference. */
export const FIRST_RULE_FILE = 'rules/rules-0.yaml';

/** Writes the first rule file (see {@link firstRuleFileText}); returns its reference. */
export async function writeFirstRuleFile(
  dir: string,
  rules: number,
  files: number,
  edit: number,
): Promise<string> {
  await writeFile(join(dir, FIRST_RULE_FILE), firstRuleFileText(rules, files, edit));
  return FIRST_RULE_FILE;
}

/**
 * A config directory (in a new temp dir) whose environment `bench` references `files` rule
 * files holding `rules` rules between them, and ten regions; returns the directory and the
 * environment file's path. Conditional routing is off: the rules are read, checked and compiled
 * on every load, but a decision does not run ten thousand of them (about 1 ms), so that a loop
 * of decisions measures what the reload holds up, not the rules' own cost.
 */
export async function writeRuleConfig(
  rules: number,
  files: number,
): Promise<{ dir: string; environmentFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-bench-rules-'));
  await mkdir(join(dir, 'rules'));
  await mkdir(join(dir, 'environments'));
  const references = [await writeFirstRuleFile(dir, rules, files, 0)];
  const perFile = Math.ceil(rules / files);
  for (let file = 1; file < files; file += 1) {
    const lines = [
      'routing_rules:',
      ...ruleEntries(file * perFile, Math.min(rules, (file + 1) * perFile)),
    ];
    await writeFile(join(dir, 'rules', `rules-${file}.yaml`), `${lines.join('\n')}\n`);
    references.push(`rules/rules-${file}.yaml`);
  }
  const environmentFile = join(dir, 'environments', 'bench.yaml');
  await writeFile(
    environmentFile,
    `rollout_percentage: 10\nenable_conditional_routing: false\nlog_level: silent\nrule_files: [${references.join(', ')}]\n`,
  );
  return { dir, environmentFile };
}

/** The same rules as a `LIGHTRAG_ROUTING_RULES` value (JSON). */
export function rulesAsJson(rules: number): string {
  const entries: Record<string, unknown> = {};
  for (let index = 0; index < rules; index += 1) {
    entries[`rule_${index}`] =
      index % 2 === 0
        ? { type: 'query_length', min_length: 100 + (index % 50), max_length: 1000 + index }
        : { type: 'query_type', allowed_types: ['metabolomics', 'clinical'] };
  }
  return JSON.stringify(entries);
}
