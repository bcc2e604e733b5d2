import { join, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import { readEnvironmentOverlay } from './env-overlay.js';
import { isDirectory, listYamlFiles } from './environment-files.js';
import { type ConfigIssue, sortIssues } from './issues.js';
import { DEFAULT_ENVIRONMENT, tryLoadConfig } from './load-config.js';
import { type RuleFileCache, readRuleFile } from './rule-files.js';
import { displayPath } from './yaml-file.js';

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
  const cache: RuleFileCache = new Map();
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  if (!(await isDirectory(configDir))) {
    return {
      files,
      issues: [
        {
          code: 'CONFIG_DIR_NOT_FOUND',
          file: null,
          line: null,
          column: null,
          pointer: '',
          message: `config directory ${displayPath(configDir, cwd)} does not exist (give --config-dir the directory that holds environments/ and rules/)`,
        },
      ],
    };
  }
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

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = stringify(issue) ?? '';
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
