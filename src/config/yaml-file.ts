import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import type { ConfigIssue } from './issues.js';

/** Files larger than this are refused before they are parsed. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Bound on alias expansion, against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A parsed YAML file that keeps its source positions for error reporting. */
export interface YamlFile {
  /** Absolute path. */
  readonly path: string;
  /** Path as shown to users. */
  readonly displayPath: string;
  readonly text: string;
  readonly document: Document;
  readonly lineCounter: LineCounter;
  /** Plain data of the document. */
  readonly data: unknown;
}

/** The result of reading one file: the file, or every problem found in it. */
export type YamlReadResult = { ok: true; file: YamlFile } | { ok: false; issues: ConfigIssue[] };

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

/** Reads and parses a YAML file, refusing anything that could not safely become config. */
export async function readYamlFile(path: string, displayPath: string): Promise<YamlReadResult> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      return { ok: false, issues: [fileIssue(displayPath, 'FILE_UNREADABLE', 'not a file')] };
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
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return { ok: false, issues: [fileIssue(displayPath, 'FILE_NOT_FOUND', 'file not found')] };
    }
    return {
      ok: false,
      issues: [fileIssue(displayPath, 'FILE_UNREADABLE', `cannot read file: ${String(error)}`)],
    };
  }
  return parseYamlText(text, path, displayPath);
}

/** Parses YAML text already in memory (see {@link readYamlFile}). */
export function parseYamlText(text: string, path: string, displayPath: string): YamlReadResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
  });
  const issues: ConfigIssue[] = [];
  for (const error of document.errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const code = error.code === 'DUPLICATE_KEY' ? 'DUPLICATE_KEY' : 'YAML_SYNTAX';
    const message =
      code === 'DUPLICATE_KEY'
        ? `duplicate key: ${error.message}`
        : `YAML syntax error: ${error.message}`;
    issues.push(fileIssue(displayPath, code, message, line, col));
  }
  if (issues.length > 0) return { ok: false, issues };

  if (document.contents === null) {
    return {
      ok: false,
      issues: [
        fileIssue(displayPath, 'EMPTY_FILE', 'file is empty; it must hold a mapping of keys'),
      ],
    };
  }

  let firstAlias: Node | undefined;
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && FORBIDDEN_KEYS.has(String(pair.key.value))) {
        const { line, col } = positionOfNode(pair.key, lineCounter);
        issues.push(
          fileIssue(
            displayPath,
            'FORBIDDEN_KEY',
            `key "${String(pair.key.value)}" is not allowed (it could alter object prototypes)`,
            line,
            col,
          ),
        );
      }
    },
    Alias(_, alias) {
      firstAlias ??= alias;
    },
  });
  if (issues.length > 0) return { ok: false, issues };

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const { line, col } = firstAlias
      ? positionOfNode(firstAlias, lineCounter)
      : { line: 1, col: 1 };
    return {
      ok: false,
      issues: [
        fileIssue(
          displayPath,
          'ALIAS_LIMIT',
          `aliases expand too much (${error instanceof Error ? error.message : String(error)}); at most ${MAX_ALIAS_COUNT} alias expansions are allowed`,
          line,
          col,
        ),
      ],
    };
  }
  return { ok: true, file: { path, displayPath, text, document, lineCounter, data } };
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
