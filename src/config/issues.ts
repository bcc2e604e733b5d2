import { FlagrouteError } from '../errors.js';
import type { Result } from '../result.js';

/** Stable codes of configuration problems, so that callers branch on codes, not message text. */
export const CONFIG_ISSUE_CODES = [
  'YAML_SYNTAX',
  'DUPLICATE_KEY',
  'ALIAS_LIMIT',
  'FORBIDDEN_KEY',
  'EMPTY_FILE',
  'FILE_TOO_LARGE',
  'FILE_NOT_FOUND',
  'FILE_UNREADABLE',
  'SCHEMA',
  'UNKNOWN_KEY',
  'INVALID_RULE',
  'DUPLICATE_NAME',
  'INVALID_ENV_VAR',
  'INVALID_ENVIRONMENT',
  'UNKNOWN_ENVIRONMENT',
  'CONFIG_DIR_NOT_FOUND',
  'INVALID_ENCODING',
  'CONTROL_CHARACTER',
  'NOT_A_MAPPING',
  'DEPTH_LIMIT',
  'FORBIDDEN_TAG',
  'NON_DECIMAL_NUMBER',
  'PATH_OUTSIDE_CONFIG_DIR',
  'FILE_UNSTABLE',
  'LOAD_FAILED',
] as const;
/** The code of a configuration problem. */
export type ConfigIssueCode = (typeof CONFIG_ISSUE_CODES)[number];

/**
 * One problem in the configuration, with where it is: a file position (1-based line and
 * column) or, for an environment variable, the variable's name.
 */
export interface ConfigIssue {
  code: ConfigIssueCode;
  /** The file as shown to the user (relative to the working directory when inside it). */
  file: string | null;
  line: number | null;
  column: number | null;
  /** The environment variable the problem is in, if any. */
  variable?: string;
  /** JSON pointer of the offending value inside the file or variable. */
  pointer: string;
  message: string;
  /**
   * What the schema allows at {@link pointer}, in the schema's own words, never the file's text:
   * what an answer of the server may say beside the code (the message may quote the file).
   */
  allowed?: string;
}

/** Renders an issue the way every command prints it: `file:line:column: message`. */
export function formatIssue(issue: ConfigIssue): string {
  if (issue.variable !== undefined) {
    const where = issue.pointer === '' ? issue.variable : `${issue.variable}${issue.pointer}`;
    return `${where}: ${issue.message}`;
  }
  if (issue.file === null) return issue.message;
  return `${issue.file}:${issue.line ?? 1}:${issue.column ?? 1}: ${issue.message}`;
}

/** Thrown when a configuration cannot be loaded; carries every problem found, not just the first. */
export class ConfigError extends FlagrouteError {
  /** Every problem found, in file order. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    super(
      'INVALID_CONFIG',
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.issues = issues;
  }
}

/** Orders issues by file, then position; variable issues last. Sorting is stable. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => {
    if (a.file !== b.file) {
      if (a.file === null) return 1;
      if (b.file === null) return -1;
      return a.file < b.file ? -1 : 1;
    }
    return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
  });
}

/** A value of the configuration, or every problem that kept it from being built. */
export type ConfigResult<Value extends object> = Result<Value, { issues: ConfigIssue[] }>;
