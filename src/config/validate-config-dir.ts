import { join, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import { readEnvironmentOverlay, type UnknownVariable, unknownVariables } from './env-overlay.js';
import { isDirectory, listYamlFiles } from './environment-files.js';
import { type ConfigIssue, sortIssues } from './issues.js';
import { DEFAULT_ENVIRONMENT, tryLoadConfig } from './load-config.js';
import { type RuleFileCache, readRuleFile } from './rule-files.js';
import { scrubSecrets, secretsOf } from './secrets.js';
import { displayPath } from './yaml-file.js';

/** Result of validating a whole config directory. */
export interface ValidationReport {
  /** Files read. */
  files: string[];
  /** Every problem, files in name order. */
  issues: ConfigIssue[];
  /** `LIGHTRAG_*` variables flagroute does not read: ignored, so worth a warning. */
  warnings: UnknownVariable[];
}

/** The files one pass read and the problems it found. */
type FileReport = Pick<ValidationReport, 'files' | 'issues'>;

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
  // A relative directory is the process's, as a command line means it; `cwd` only names files
  // in messages (serve passes the config directory itself, which resolved against itself was
  // config/config: serve --config-dir config found no directory).
  const configDir = resolve(options.configDir);
  if (!(await isDirectory(configDir))) {
    const message = `config directory ${displayPath(configDir, cwd)} does not exist (give --config-dir the directory that holds environments/ and rules/)`;
    return {
      files: [],
      issues: [dirIssue(null, 'CONFIG_DIR_NOT_FOUND', message)],
      warnings: unknownVariables(options.env ?? {}),
    };
  }
  const cache: RuleFileCache = new Map();
  const environments = await validateEnvironments(configDir, cwd, cache);
  const rules = await validateRuleFiles(configDir, cwd, cache);
  const issues = [
    ...environments.issues,
    ...rules.issues,
    ...readEnvironmentOverlay(options.env ?? {}).issues,
  ];
  // Environments are loaded without the variables; the salt of the variable is scrubbed here.
  const scrubbed = scrubSecrets(issues, secretsOf(options.env ?? {}));
  return {
    files: [...environments.files, ...rules.files],
    issues: sortIssues(dedupe(scrubbed)),
    warnings: unknownVariables(options.env ?? {}),
  };
}

function dirIssue(file: string | null, code: ConfigIssue['code'], message: string): ConfigIssue {
  return file === null
    ? { code, file, line: null, column: null, pointer: '', message }
    : { code, file, line: 1, column: 1, pointer: '', message };
}

/** Loads every environment (without variables), sharing parsed rule files through `cache`. */
async function validateEnvironments(
  configDir: string,
  cwd: string,
  cache: RuleFileCache,
): Promise<FileReport> {
  const report: FileReport = { files: [], issues: [] };
  const directory = join(configDir, 'environments');
  const envFiles = await listYamlFiles(directory);
  if (envFiles.length === 0) {
    const expected = displayPath(join(directory, `${DEFAULT_ENVIRONMENT}.yaml`), cwd);
    const message = `no environment files in ${displayPath(directory, cwd)}`;
    report.issues.push(dirIssue(expected, 'FILE_NOT_FOUND', message));
  }
  for (const envPath of envFiles) {
    const shown = displayPath(envPath, cwd);
    report.files.push(shown);
    if (envPath.endsWith('.yml')) {
      report.issues.push(
        dirIssue(shown, 'INVALID_ENVIRONMENT', 'environment files must end in .yaml'),
      );
      continue;
    }
    const environment = envPath.replace(/^.*[\\/]/, '').replace(/\.yaml$/, '');
    const result = await tryLoadConfig({
      configDir,
      environment,
      env: {},
      cwd,
      ruleFileCache: cache,
    });
    if (!result.ok) report.issues.push(...result.issues);
  }
  return report;
}

/** Checks every rule file, referenced or not (those already read through `cache` are reused). */
async function validateRuleFiles(
  configDir: string,
  cwd: string,
  cache: RuleFileCache,
): Promise<FileReport> {
  const report: FileReport = { files: [], issues: [] };
  for (const rulePath of await listYamlFiles(join(configDir, 'rules'))) {
    report.files.push(displayPath(rulePath, cwd));
    if (!cache.has(rulePath))
      cache.set(rulePath, readRuleFile(rulePath, displayPath(rulePath, cwd)));
  }
  for (const pending of cache.values()) {
    const result = await pending;
    // A missing rule file is reported at its reference, by the environment that names it.
    if (!result.ok && !result.issues.some((issue) => issue.code === 'FILE_NOT_FOUND')) {
      report.issues.push(...result.issues);
    }
  }
  return report;
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
