import { stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { decodeUtf8 } from '../utf8.js';
import { type ParseOptions, parseConfigText } from './config-text.js';
import type { ConfigIssue, ConfigResult } from './issues.js';
import { lazyYamlFile } from './lazy-yaml-file.js';
import { ReadSession } from './read-session.js';
import { saltTextsOf, scrubSecrets } from './secrets.js';
import { parseYamlSubset } from './yaml-subset.js';

export {
  type CheckedText,
  MAX_NESTING_DEPTH,
  type ParseOptions,
  parseConfigText,
  type TextProblem,
} from './config-text.js';

/** Files larger than this are refused before they are parsed. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

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

function issueIn(
  displayPath: string,
  code: ConfigIssue['code'],
  message: string,
  line = 1,
  column = 1,
): ConfigIssue {
  return { code, file: displayPath, line, column, pointer: '', message };
}

function fileIssue(...issue: Parameters<typeof issueIn>): { ok: false; issues: ConfigIssue[] } {
  return { ok: false, issues: [issueIn(...issue)] };
}

/** Options of {@link parseYamlText}. */
export interface ParseYamlOptions extends ParseOptions {
  /**
   * Top-level mappings whose entries' places the fast path records as it parses (see
   * `sectionEntriesOf`), so that finding them needs no document.
   */
  sections?: readonly string[];
}

/** Options of {@link readYamlFile}. */
export interface ReadYamlOptions extends ParseYamlOptions {
  /** Records what was read, so that a load can check every file was complete. */
  session?: ReadSession;
}

/**
 * Reads and parses a YAML file, refusing anything that could not safely become config: a
 * missing file, a directory, more than {@link MAX_CONFIG_FILE_BYTES}, bytes that are not UTF-8,
 * and everything {@link parseConfigText} refuses.
 */
export async function readYamlFile(
  path: string,
  displayPath: string,
  options: ReadYamlOptions = {},
): Promise<YamlReadResult> {
  const read = await readConfigText(path, displayPath, options.session);
  if (!read.ok) return read;
  return parseYamlText(read.text, path, displayPath, options);
}

/**
 * The text of a config file, read through `session`: refused when missing, a directory, more
 * than {@link MAX_CONFIG_FILE_BYTES}, or not UTF-8.
 */
export async function readConfigText(
  path: string,
  displayPath: string,
  session = new ReadSession(),
): Promise<ConfigResult<{ text: string }>> {
  const bytes = await readBytes(path, displayPath, session);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') {
    const message = 'is not valid UTF-8 here; save the file as UTF-8';
    return fileIssue(displayPath, 'INVALID_ENCODING', message, text.line, text.column);
  }
  return { ok: true, text };
}

async function readBytes(
  path: string,
  displayPath: string,
  session: ReadSession,
): Promise<Buffer | { ok: false; issues: ConfigIssue[] }> {
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      const what = info.isDirectory() ? 'a directory' : 'not a regular file';
      return fileIssue(displayPath, 'FILE_UNREADABLE', `is ${what}`);
    }
    if (info.size > MAX_CONFIG_FILE_BYTES) {
      const message = `file is ${info.size} bytes; the limit is ${MAX_CONFIG_FILE_BYTES} bytes (1 MiB)`;
      return fileIssue(displayPath, 'FILE_TOO_LARGE', message);
    }
    return await session.read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      return fileIssue(displayPath, 'FILE_UNREADABLE', `cannot read file: ${code ?? 'error'}`);
    }
    session.missing(path);
    return fileIssue(displayPath, 'FILE_NOT_FOUND', 'file not found');
  }
}

/**
 * Parses YAML text already in memory (see {@link readYamlFile}). A text in the subset of
 * `parseYamlSubset` is read by js-yaml, about eight times cheaper, and its document made only
 * when asked for; every other text, and so every refusal, goes through {@link parseConfigText}.
 */
export function parseYamlText(
  text: string,
  path: string,
  displayPath: string,
  options: ParseYamlOptions = {},
): YamlReadResult {
  const subset = parseYamlSubset(text, options.sections);
  if (subset) return { ok: true, file: lazyYamlFile(text, path, displayPath, subset, options) };
  const checked = parseConfigText(text, options);
  if (!checked.ok) {
    const issues = checked.problems.map((problem) => {
      const { line, col } = checked.lineCounter.linePos(problem.offset);
      return issueIn(displayPath, problem.code, problem.message, line, col);
    });
    // The parser's messages quote the line, and the salt is not known from a file that does
    // not parse: its line's text is scrubbed for every reader, the log and the CLI included.
    return { ok: false, issues: scrubSecrets(issues, saltTextsOf(text)) };
  }
  const { document, lineCounter, data } = checked;
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
      const pair = pairOf(node, segment);
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

/** Mappings with this many pairs or more are indexed by key on first lookup. */
const INDEXED_PAIRS = 16;
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

/**
 * The first pair of `map` whose scalar key reads as `segment`. A large mapping is indexed once:
 * a scan per lookup made the origin of every rule of a 10,000-rule file quadratic.
 */
function pairOf(map: YAMLMap, segment: string): Pair | undefined {
  const matches = (item: unknown): item is Pair =>
    isPair(item) && isScalar(item.key) && String(item.key.value) === segment;
  if (map.items.length < INDEXED_PAIRS) return map.items.find(matches);
  let index = pairIndexes.get(map);
  if (index === undefined) {
    index = new Map();
    for (const item of map.items) {
      if (!isPair(item) || !isScalar(item.key)) continue;
      const key = String(item.key.value);
      if (!index.has(key)) index.set(key, item);
    }
    pairIndexes.set(map, index);
  }
  return index.get(segment);
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
