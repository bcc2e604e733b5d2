import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigIssue } from './issues.js';
import { suggestKey } from './schema-errors.js';
import { displayPath } from './yaml-file.js';

/** Lists the YAML files directly inside `dir` (sorted), or none when it does not exist. */
export async function listYamlFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => !entry.name.startsWith('.') && /\.ya?ml$/.test(entry.name))
      .map((entry) => join(dir, entry.name))
      .sort();
  } catch {
    return [];
  }
}

/** The names of the environments a config directory defines (`environments/*.yaml`). */
export async function environmentNames(configDir: string): Promise<string[]> {
  return (await listYamlFiles(join(configDir, 'environments')))
    .filter((path) => path.endsWith('.yaml'))
    .map((path) => path.replace(/^.*[\\/]/, '').replace(/\.yaml$/, ''));
}

/** Whether `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The problem of an environment that does not exist: what does, and the likeliest meant. */
export async function missingEnvironment(
  configDir: string,
  environment: string,
  cwd: string,
): Promise<ConfigIssue> {
  const issue = (code: ConfigIssue['code'], message: string): ConfigIssue => ({
    code,
    file: null,
    line: null,
    column: null,
    pointer: '',
    message,
  });
  if (!(await isDirectory(configDir))) {
    return issue(
      'CONFIG_DIR_NOT_FOUND',
      `config directory ${displayPath(configDir, cwd)} does not exist (give --config-dir, or the configDir option, the directory that holds environments/ and rules/)`,
    );
  }
  const known = await environmentNames(configDir);
  const expected = displayPath(join(configDir, 'environments', `${environment}.yaml`), cwd);
  const suggestion =
    suggestKey(environment, known) ?? known.find((name) => name.startsWith(environment));
  const others =
    known.length === 0
      ? `${displayPath(join(configDir, 'environments'), cwd)} holds no environment files`
      : `known environments: ${known.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
  return {
    ...issue(
      'UNKNOWN_ENVIRONMENT',
      `file not found: environment "${environment}" does not exist; ${others}`,
    ),
    file: expected,
    line: 1,
    column: 1,
  };
}
