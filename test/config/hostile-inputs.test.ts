import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseConfigText } from '../../src/config/config-text.js';
import { formatIssue } from '../../src/config/issues.js';
import { tryLoadConfig } from '../../src/config/load-config.js';
import { HOSTILE_FILES, HOSTILE_VARIABLES } from '../cases/hostile-config.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { testRouter } from '../helpers/test-router.js';

const ENV = 'environments/development.yaml';
const RULES = 'rules/r.yaml';
const VALID_ENV = 'rollout_percentage: 40\nrule_files: [rules/r.yaml]\n';
const VALID_RULES = 'routing_rules: {}\n';

function bytesOf(content: string): Buffer {
  return content.startsWith('base64:')
    ? Buffer.from(content.slice('base64:'.length), 'base64')
    : Buffer.from(content);
}

async function load(dir: string, env: Record<string, string> = {}) {
  return tryLoadConfig({ configDir: dir, environment: 'development', env, cwd: dir });
}

describe('hostile configuration files', () => {
  it('the table holds at least 60 cases', () => {
    expect(HOSTILE_FILES.length + HOSTILE_VARIABLES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(HOSTILE_FILES)('$name: $code', async (testCase) => {
    const temp = await tempConfigDir({ [ENV]: VALID_ENV, [RULES]: VALID_RULES });
    const path = testCase.file === 'env' ? ENV : RULES;
    // The last good configuration is loaded first: a hostile edit must leave it serving.
    const router = await testRouter({
      configDir: temp.dir,
      env: {},
      cwd: temp.dir,
      logger: silentLogger(),
      watch: false,
    });
    const version = router.status().configVersion;
    await writeFile(join(temp.dir, path), bytesOf(testCase.content));
    const result = await load(temp.dir);
    if (testCase.code === null) {
      expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
      return;
    }
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    const issue = issues.find((found) => found.code === testCase.code);
    expect(issue, issues.map(formatIssue).join('\n')).toBeDefined();
    expect(issue!.file).toBe(path);
    if (testCase.line !== undefined) expect(issue!.line).toBe(testCase.line);
    if (testCase.column !== undefined) expect(issue!.column).toBe(testCase.column);
    if (testCase.message !== undefined) expect(issue!.message).toContain(testCase.message);
    expect(issue!.message).not.toMatch(/Maximum call stack|Cannot read properties|undefined/);

    const reloaded = await router.reload();
    expect(reloaded.ok).toBe(false);
    expect(router.status()).toMatchObject({ configVersion: version, lastReload: { ok: false } });
    expect((await router.decide({ userId: 'alice' })).configVersion).toBe(version);
  });
});

describe('hostile LIGHTRAG_* variables', () => {
  it.each(HOSTILE_VARIABLES)('$name', async ({ variable, value, message }) => {
    const temp = await tempConfigDir({ [ENV]: VALID_ENV, [RULES]: VALID_RULES });
    const result = await load(temp.dir, { [variable]: value });
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues.map((issue) => [issue.code, issue.variable])).toContainEqual([
      'INVALID_ENV_VAR',
      variable,
    ]);
    expect(issues.map(formatIssue).join('\n')).toContain(message);
    expect(issues.map(formatIssue).join('\n')).not.toMatch(/Maximum call stack/);
  });
});

describe('rule file references', () => {
  it('refuse a link that leads outside the config directory, at the reference', async () => {
    const outside = join(tmpdir(), `flagroute-outside-${process.pid}.yaml`);
    await writeFile(outside, VALID_RULES);
    const temp = await tempConfigDir({ [ENV]: 'rule_files:\n  - rules/r.yaml\n' });
    await mkdir(join(temp.dir, 'rules'), { recursive: true });
    await symlink(outside, join(temp.dir, RULES));
    const result = await load(temp.dir);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      `${ENV}:2:5: rule file "rules/r.yaml" is a link to ${outside}, outside the config directory; rule files must lie inside it`,
    ]);
  });

  it('follow a Kubernetes ..data link that stays inside the config directory', async () => {
    const temp = await tempConfigDir({
      '..2026_01_01/environments/development.yaml': VALID_ENV,
      '..2026_01_01/rules/r.yaml': 'geographic_routing: {eu: {rollout_percentage: 7}}\n',
    });
    await symlink('..2026_01_01', join(temp.dir, '..data'));
    await symlink('..data/environments', join(temp.dir, 'environments'));
    await symlink('..data/rules', join(temp.dir, 'rules'));
    const result = await load(temp.dir);
    expect(result.ok && result.config.geographicRouting.map((region) => region.region)).toEqual([
      'eu',
    ]);
  });

  it('point at the reference when a rule file is a directory', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rule_files: [rules/r.yaml]\n' });
    await mkdir(join(temp.dir, RULES), { recursive: true });
    const result = await load(temp.dir);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      `${ENV}:1:14: rule file "rules/r.yaml" is a directory; name a YAML file`,
    ]);
  });
});

describe('duplicate keys', () => {
  // flagroute finds duplicates itself (the parser's check was quadratic in a mapping's size);
  // it must find exactly what the parser's own check found, at the same places.
  const documents = [
    'a: 1\na: 2\n',
    'x:\n  a: 1\n  b: 2\n  a: 3\n',
    '{a: 1, b: 2, a: 3}',
    '!!str a: 1\n!!str a: 2\n',
    '&x a: 1\n&y a: 2\n',
    '"a": 1\na: 2\n',
    '\'a\': 1\n"a": 2\n',
    '1: a\n1.0: b\n',
    '"1": a\n1: b\n',
    '~: a\nnull: b\n',
    'true: a\nTrue: b\n',
    '? a\n: 1\n? a\n: 2\n',
    '? [a]\n: 1\n? [a]\n: 2\n',
    '[a: 1, a: 2]',
    '{ a: 1,   a : 2 }',
    'x: {a: 1, a: 2}\ny:\n - a: 1\n   a: 2\n   a: 3\n',
    'a: &k 1\n*k : 2\n1: 3\n',
    'a: 1\nb: [1, {a: 1, a: 2}]\na: 3\n',
  ];

  it.each(documents)('%j: as the parser reports them', (text) => {
    const parser = parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: false });
    const expected = parser.errors
      .filter((error) => error.code === 'DUPLICATE_KEY')
      .map((error) => error.pos[0])
      .sort((a, b) => a - b);
    const checked = parseConfigText(text);
    const found = checked.ok
      ? []
      : checked.problems.filter((problem) => problem.code === 'DUPLICATE_KEY');
    expect(found.map((problem) => problem.offset)).toEqual(expected);
    for (const problem of found) {
      expect(problem.message).toBe('duplicate key: Map keys must be unique');
    }
  });

  it('are found in a mapping of 20,000 keys, once each', () => {
    const keys = Array.from({ length: 20_000 }, (_, index) => `k${index}: ${index}`);
    keys.push('k19999: again', 'k7: again');
    const checked = parseConfigText(keys.join('\n'));
    if (checked.ok) throw new Error('duplicates must be refused');
    expect(checked.problems.map((problem) => problem.code)).toEqual([
      'DUPLICATE_KEY',
      'DUPLICATE_KEY',
    ]);
  });
});
