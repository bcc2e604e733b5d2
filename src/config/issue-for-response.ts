import { basename, isAbsolute, relative, sep } from 'node:path';
import type { ConfigIssue, ConfigIssueCode } from './issues.js';

/**
 * Each problem in words of the house alone. A message may quote the file (the parser's, a
 * refused tag or value, a key): on the salt's line that is the salt, so what leaves the process
 * says the fault by its code's words and its place, and the log keeps the message.
 */
const FAULTS: Readonly<Record<ConfigIssueCode, string>> = {
  YAML_SYNTAX: 'YAML syntax error here (the log and `flagroute validate` say which)',
  DUPLICATE_KEY: 'a key appears twice in the same mapping',
  ALIAS_LIMIT: 'aliases expand too much',
  FORBIDDEN_KEY: 'a key that is not allowed (__proto__, constructor, prototype)',
  EMPTY_FILE: 'file is empty; it must hold a mapping of keys',
  FILE_TOO_LARGE: 'file is larger than 1 MiB',
  FILE_NOT_FOUND: 'file not found',
  FILE_UNREADABLE: 'file cannot be read',
  SCHEMA: 'value not allowed here by the schema',
  UNKNOWN_KEY: 'key not known here',
  INVALID_RULE: 'rule not valid',
  DUPLICATE_NAME: 'a name is used twice',
  INVALID_ENV_VAR: 'environment variable not valid',
  INVALID_ENVIRONMENT: 'environment name not allowed',
  UNKNOWN_ENVIRONMENT: 'no such environment',
  CONFIG_DIR_NOT_FOUND: 'configuration directory not found',
  INVALID_ENCODING: 'not valid UTF-8 here',
  CONTROL_CHARACTER: 'a control character here',
  NOT_A_MAPPING: 'the top level must be a mapping of keys',
  DEPTH_LIMIT: 'nesting is too deep',
  FORBIDDEN_TAG: 'a YAML tag that is not allowed (only core types)',
  NON_DECIMAL_NUMBER: 'a hex, octal or binary number; write it in decimal',
  PATH_OUTSIDE_CONFIG_DIR: 'a referenced file is outside the configuration directory',
  FILE_UNSTABLE: 'the files kept changing while being read',
  LOAD_FAILED: 'the configuration could not be loaded',
};

/**
 * A configuration problem as an answer of the server may show it: its code, the file relative to
 * the configuration directory (or its name alone when outside it), line, column, pointer and
 * the fault in words. Never the file's text (a salt on the line quoted) nor where the files
 * are; the full message is for the operator's log and the CLI ({@link formatIssue}).
 */
export function issueForResponse(issue: ConfigIssue, configDir: string): ConfigIssue {
  const shown: ConfigIssue = {
    code: issue.code,
    file: issue.file === null ? null : fileForResponse(issue.file, configDir),
    line: issue.line,
    column: issue.column,
    pointer: issue.pointer,
    message:
      issue.allowed === undefined
        ? FAULTS[issue.code]
        : `${FAULTS[issue.code]}; allowed: ${issue.allowed}`,
  };
  if (issue.variable !== undefined) shown.variable = issue.variable;
  return shown;
}

function fileForResponse(file: string, configDir: string): string {
  if (!isAbsolute(file)) return file;
  const inside = relative(configDir, file);
  return inside === '' || inside.startsWith(`..${sep}`) || isAbsolute(inside)
    ? basename(file)
    : inside;
}
