import { stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import type { Result } from '../result.js';
import type { ConfigIssue, ConfigIssueCode, ConfigResult } from './issues.js';
import { ReadSession } from './read-session.js';

/** Files larger than this are refused before they are parsed. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Deepest nesting of mappings and lists accepted in a file or a JSON variable. */
export const MAX_NESTING_DEPTH = 64;
/** Bound on alias expansion, against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** The only explicit tags accepted: YAML 1.2's core types, which add no behaviour. */
const ALLOWED_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`),
);
// C0 controls and DEL, but tab, line feed and carriage return, which YAML text may hold.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it looks for
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const NON_DECIMAL_NUMBER = /^[-+]?0[xXoObB]/;
const NON_FINITE_NUMBER = /^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/;

/** What the parser's own error codes mean for a person editing the file. */
const SYNTAX_HINTS: Readonly<Record<string, string>> = {
  BAD_INDENT:
    'indent this line with as many spaces as the other keys of the same mapping (spaces, never tabs)',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  BLOCK_AS_IMPLICIT_KEY:
    'a key with a value on its own line cannot also have indented keys below it: either move the indented line back to its parent\'s column, or write the parent as "key:" with nothing after the colon',
  MULTILINE_IMPLICIT_KEY:
    'a key must fit on one line and end with ":"; check the indentation of this line and the one above',
  BAD_DQ_ESCAPE: 'in a double-quoted string, write a backslash as \\\\, or use single quotes',
  MISSING_CHAR: 'a bracket, quote or ":" is missing here',
  UNEXPECTED_TOKEN: 'check the indentation and the punctuation (: - [ ] { } ,) of this line',
};

/** A parsed YAML file that keeps its source positions for error reporting. */
export interface YamlFile {
  /** Absolute path. */
  readonly path: string;
  /** Path as shown to users. */
  readonly displayPath: string;
  readonly text: string;
  readonly document: Document;
  readonly lineCounter: LineCounter;
  /** Plain data of the document: always a mapping. */
  readonly data: Record<string, unknown>;
}

/** The result of reading one file: the file, or every problem found in it. */
export type YamlReadResult = ConfigResult<{ file: YamlFile }>;

/** A problem found in YAML (or JSON) text, at a character offset. */
export interface TextProblem {
  code: ConfigIssueCode;
  message: string;
  offset: number;
}

/** Text parsed and checked: a mapping, or the problems that make it unusable as config. */
export type CheckedText = Result<
  { document: Document; lineCounter: LineCounter; data: Record<string, unknown> },
  { lineCounter: LineCounter; problems: TextProblem[] }
>;

/** How {@link parseConfigText} treats a document with no content (only comments). */
export interface ParseOptions {
  /** Read an empty document as an empty mapping (a rule file whose rules are commented out). */
  emptyIsMapping?: boolean;
}

function fileIssue(
  displayPath: string,
  code: ConfigIssue['code'],
  message: string,
  line = 1,
  column = 1,
  pointer = '',
): ConfigIssue {
  return { code, file: displayPath, line, column, pointer, message };
}

/** Options of {@link readYamlFile}. */
export interface ReadYamlOptions extends ParseOptions {
  /** Records what was read, so that a load can check every file was complete. */
  session?: ReadSession;
}

/** Reads and parses a YAML file, refusing anything that could not safely become config. */
export async function readYamlFile(
  path: string,
  displayPath: string,
  options: ReadYamlOptions = {},
): Promise<YamlReadResult> {
  const session = options.session ?? new ReadSession();
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      const what = info.isDirectory() ? 'a directory' : 'not a regular file';
      return { ok: false, issues: [fileIssue(displayPath, 'FILE_UNREADABLE', `is ${what}`)] };
    }
    if (info.size > MAX_CONFIG_FILE_BYTES) {
      return {
        ok: false,
        issues: [
          fileIssue(
            displayPath,
            'FILE_TOO_LARGE',
            `file is ${info.size} bytes; the limit is ${MAX_CONFIG_FILE_BYTES} bytes (1 MiB)`,
          ),
        ],
      };
    }
    bytes = await session.read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      session.missing(path);
      return { ok: false, issues: [fileIssue(displayPath, 'FILE_NOT_FOUND', 'file not found')] };
    }
    return {
      ok: false,
      issues: [fileIssue(displayPath, 'FILE_UNREADABLE', `cannot read file: ${code ?? 'error'}`)],
    };
  }
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') {
    const { line, column } = text;
    return {
      ok: false,
      issues: [
        fileIssue(
          displayPath,
          'INVALID_ENCODING',
          'is not valid UTF-8 here; save the file as UTF-8',
          line,
          column,
        ),
      ],
    };
  }
  return parseYamlText(text, path, displayPath, options);
}

/** The text of UTF-8 bytes, or the line and column of the first invalid byte. */
function decodeUtf8(bytes: Buffer): string | { line: number; column: number } {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the first byte that does not start a valid sequence, by decoding prefixes.
    let good = 0;
    for (let end = 1; end <= bytes.length; end += 1) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(good, end));
        good = end;
      } catch {
        if (end - good >= 4) break;
      }
    }
    const before = bytes.subarray(0, good).toString('utf8');
    const lines = before.split('\n');
    return { line: lines.length, column: [...(lines.at(-1) ?? '')].length + 1 };
  }
}

/** Parses YAML text already in memory (see {@link readYamlFile}). */
export function parseYamlText(
  text: string,
  path: string,
  displayPath: string,
  options: ParseOptions = {},
): YamlReadResult {
  const checked = parseConfigText(text, options);
  if (!checked.ok) {
    return {
      ok: false,
      issues: checked.problems.map((problem) => {
        const { line, col } = checked.lineCounter.linePos(problem.offset);
        return fileIssue(displayPath, problem.code, problem.message, line, col);
      }),
    };
  }
  const { document, lineCounter, data } = checked;
  return { ok: true, file: { path, displayPath, text, document, lineCounter, data } };
}

/**
 * Parses YAML (or JSON, which is YAML) and refuses what could not safely become configuration:
 * syntax errors, duplicate keys, nesting deeper than {@link MAX_NESTING_DEPTH}, prototype keys,
 * tags beyond YAML's core types (`!foo`, `!!binary`, `!!js/function`), hex, octal and binary
 * numbers, `.inf` and `.nan`, control characters (a NUL byte) in the text or in any value,
 * runaway aliases, and a top level that is not a mapping.
 */
export function parseConfigText(text: string, options: ParseOptions = {}): CheckedText {
  const lineCounter = new LineCounter();
  const fail = (problems: TextProblem[]): CheckedText => ({ ok: false, lineCounter, problems });
  const control = CONTROL_CHARACTER.exec(text);
  if (control) {
    // The line counter is filled by the parser; count this one by hand.
    lineCounter.addNewLine(0);
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
      lineCounter.addNewLine(index + 1);
    }
    return fail([
      {
        code: 'CONTROL_CHARACTER',
        message: `contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}; remove it`,
        offset: control.index,
      },
    ]);
  }
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  const syntax = document.errors.map((error): TextProblem => {
    if (error.code === 'DUPLICATE_KEY') {
      return {
        code: 'DUPLICATE_KEY',
        message: `duplicate key: ${error.message}`,
        offset: error.pos[0],
      };
    }
    if (error.code === 'RESOURCE_EXHAUSTION') return depthProblem(error.pos[0]);
    const hint = SYNTAX_HINTS[error.code];
    return {
      code: 'YAML_SYNTAX',
      message: `YAML syntax error: ${error.message}${hint ? ` (${hint})` : ''}`,
      offset: error.pos[0],
    };
  });
  if (syntax.length > 0) return fail(syntax);
  if (document.contents === null) {
    if (options.emptyIsMapping) return { ok: true, document, lineCounter, data: {} };
    return fail([
      { code: 'EMPTY_FILE', message: 'file is empty; it must hold a mapping of keys', offset: 0 },
    ]);
  }
  const deep = tooDeep(document.contents);
  if (deep) return fail([depthProblem(deep.range?.[0] ?? 0)]);
  const problems = nodeProblems(document, text);
  if (problems.problems.length > 0) return fail(problems.problems);

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (/unresolved alias/i.test(reason)) {
      return fail([
        {
          code: 'YAML_SYNTAX',
          message: `YAML syntax error: ${reason} (define the anchor, &name, before using *name)`,
          offset: problems.firstAlias?.range?.[0] ?? 0,
        },
      ]);
    }
    return fail([
      {
        code: 'ALIAS_LIMIT',
        message: `aliases expand too much (${error instanceof Error ? error.message : String(error)}); at most ${MAX_ALIAS_COUNT} alias expansions are allowed`,
        offset: problems.firstAlias?.range?.[0] ?? 0,
      },
    ]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const got = data === null ? 'null' : Array.isArray(data) ? 'a list' : JSON.stringify(data);
    return fail([
      {
        code: 'NOT_A_MAPPING',
        message: `the top level must be a mapping of keys (key: value lines), got ${got}`,
        offset: document.contents.range?.[0] ?? 0,
      },
    ]);
  }
  return { ok: true, document, lineCounter, data: data as Record<string, unknown> };
}

function depthProblem(offset: number): TextProblem {
  return {
    code: 'DEPTH_LIMIT',
    message: `nesting is too deep; at most ${MAX_NESTING_DEPTH} levels of mappings and lists are allowed`,
    offset,
  };
}

/** The first node nested deeper than the limit, found without recursion. */
function tooDeep(root: unknown): Node | undefined {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isCollection(node)) continue;
    if (depth > MAX_NESTING_DEPTH) return node;
    for (const item of node.items) {
      if (isPair(item)) {
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      } else {
        stack.push([item, depth + 1]);
      }
    }
  }
  return undefined;
}

function nodeProblems(
  document: Document,
  text: string,
): { problems: TextProblem[]; firstAlias?: Node } {
  const problems: TextProblem[] = [];
  let firstAlias: Node | undefined;
  const at = (node: Node | null | undefined) => node?.range?.[0] ?? 0;
  const checkTag = (node: Node) => {
    if (node.tag !== undefined && !ALLOWED_TAGS.has(node.tag)) {
      const shown = node.tag.replace('tag:yaml.org,2002:', '!!');
      // The node's range starts after its properties: the tag is the last "!" before it.
      let tagAt = text.lastIndexOf('!', at(node));
      while (tagAt > 0 && !/[\s:[\]{},]/.test(text.charAt(tagAt - 1))) tagAt -= 1;
      problems.push({
        code: 'FORBIDDEN_TAG',
        message: `the tag ${shown} is not allowed; write plain values (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are accepted)`,
        offset: tagAt === -1 ? at(node) : tagAt,
      });
    }
  };
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && FORBIDDEN_KEYS.has(String(pair.key.value))) {
        problems.push({
          code: 'FORBIDDEN_KEY',
          message: `key "${String(pair.key.value)}" is not allowed (it could alter object prototypes)`,
          offset: at(pair.key),
        });
      }
    },
    Map(_, node) {
      checkTag(node);
    },
    Seq(_, node) {
      checkTag(node);
    },
    Scalar(_, node) {
      checkTag(node);
      const source = typeof node.source === 'string' ? node.source : '';
      if (typeof node.value === 'number' && NON_DECIMAL_NUMBER.test(source)) {
        problems.push({
          code: 'NON_DECIMAL_NUMBER',
          // The value is not shown: it may be a secret (the salt).
          message: 'this number is written in hex, octal or binary; write numbers in decimal',
          offset: at(node),
        });
      } else if (typeof node.value === 'number' && NON_FINITE_NUMBER.test(source)) {
        problems.push({
          code: 'NON_DECIMAL_NUMBER',
          message: 'this is not a finite number (.inf or .nan); write a decimal number',
          offset: at(node),
        });
      } else if (typeof node.value === 'string' && CONTROL_CHARACTER.test(node.value)) {
        problems.push({
          code: 'CONTROL_CHARACTER',
          message: 'this value contains a control character (such as \\0); remove it',
          offset: at(node),
        });
      }
    },
    Alias(_, alias) {
      firstAlias ??= alias;
    },
  });
  return firstAlias ? { problems, firstAlias } : { problems };
}

function positionOfNode(node: Node, lineCounter: LineCounter): { line: number; col: number } {
  const offset = node.range?.[0] ?? 0;
  return lineCounter.linePos(offset);
}

/** Splits a JSON pointer (`/a/b~1c`) into its unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * The 1-based position of the value at `pointer` in the file, or of its key when `at` is
 * `key`. Falls back to the nearest ancestor that exists (a missing key is reported at the
 * mapping that lacks it).
 */
export function positionOf(
  file: YamlFile,
  pointer: string,
  at: 'value' | 'key' = 'value',
): { line: number; column: number } {
  let node: unknown = file.document.contents;
  let keyNode: unknown;
  for (const segment of pointerSegments(pointer)) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === segment,
      );
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) break;
      keyNode = item;
      node = item;
    } else {
      break;
    }
  }
  const target = at === 'key' && keyNode !== undefined ? keyNode : (node ?? keyNode);
  if (target && typeof target === 'object' && ('range' in target || isAlias(target))) {
    const { line, col } = positionOfNode(target as Node, file.lineCounter);
    return { line, column: col };
  }
  return { line: 1, column: 1 };
}

/** How a path is shown to users: relative to `cwd` when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** An issue at the value (or key) that `pointer` names in `file`. */
export function issueAt(
  file: YamlFile,
  pointer: string,
  code: ConfigIssue['code'],
  message: string,
  at: 'value' | 'key' = 'value',
): ConfigIssue {
  const { line, column } = positionOf(file, pointer, at);
  return { code, file: file.displayPath, line, column, pointer, message };
}

/** Where a key was written, as `file:line`. */
export function originOf(file: YamlFile, pointer: string): string {
  return `${file.displayPath}:${positionOf(file, pointer, 'key').line}`;
}
