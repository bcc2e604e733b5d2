import { type Document, LineCounter, type Node, parseDocument } from 'yaml';
import type { Result } from '../result.js';
import { type DocumentWalk, MAX_NESTING_DEPTH, walkDocument } from './document-walk.js';
import { CONTROL_CHARACTER, type TextProblem } from './node-checks.js';

export { MAX_NESTING_DEPTH } from './document-walk.js';
export type { TextProblem } from './node-checks.js';
/** Bound on alias expansion, against "billion laughs" documents. */
export const MAX_ALIAS_COUNT = 100;

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

/**
 * Parses YAML (or JSON, which is YAML) and refuses what could not safely become configuration:
 * syntax errors, duplicate keys, nesting deeper than {@link MAX_NESTING_DEPTH}, prototype keys,
 * tags beyond YAML's core types (`!foo`, `!!binary`, `!!js/function`), hex, octal and binary
 * numbers, `.inf` and `.nan`, control characters (a NUL byte) in the text or in any value,
 * runaway aliases, and a top level that is not a mapping. Each check runs only once the ones
 * before it passed, so that a deep or broken document is never walked.
 */
export function parseConfigText(text: string, options: ParseOptions = {}): CheckedText {
  const lineCounter = new LineCounter();
  const fail = (problems: TextProblem[]): CheckedText => ({ ok: false, lineCounter, problems });
  const control = CONTROL_CHARACTER.exec(text);
  if (control) {
    countLines(text, lineCounter);
    return fail([controlCharacterProblem(control[0], control.index)]);
  }
  // Duplicate keys are found here, not by the parser: its check compares each key with every
  // key before it in the mapping, which made a file of 10,000 rules quadratic.
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    strict: true,
  });
  const walk = walkDocument(document.contents, text);
  const { duplicates, deep, problems } = walk;
  if (document.errors.length > 0 || duplicates.length > 0) {
    const problems = [...document.errors.map(syntaxProblem), ...duplicates];
    return fail(problems.sort((a, b) => a.offset - b.offset));
  }
  const contents = document.contents;
  if (contents === null) {
    // Comments only: an empty rule set. Nothing at all is refused: it is what a writer leaves
    // between truncating a file and writing it, and must never be served.
    if (options.emptyIsMapping && text.trim() !== '') {
      return { ok: true, document, lineCounter, data: {} };
    }
    return fail([
      { code: 'EMPTY_FILE', message: 'file is empty; it must hold a mapping of keys', offset: 0 },
    ]);
  }
  if (deep) return fail([depthProblem(deep.range?.[0] ?? 0)]);
  if (problems.length > 0) return fail(problems);
  const data = toData(document, walk);
  return 'problem' in data
    ? fail([data.problem])
    : { ok: true, document, lineCounter, data: data.data };
}

/** The parser fills the line counter; text refused before parsing is counted by hand. */
function countLines(text: string, lineCounter: LineCounter): void {
  lineCounter.addNewLine(0);
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
    lineCounter.addNewLine(index + 1);
  }
}

function controlCharacterProblem(character: string, offset: number): TextProblem {
  return { code: 'CONTROL_CHARACTER', message: controlCharacterWords(character), offset };
}

/** What is wrong with a text holding the control character `character`, naming it by code. */
export function controlCharacterWords(character: string): string {
  const code = character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return `contains the control character U+${code}; remove it`;
}

function syntaxProblem(error: {
  code: string;
  message: string;
  pos: [number, number];
}): TextProblem {
  const offset = error.pos[0];
  if (error.code === 'RESOURCE_EXHAUSTION') return depthProblem(offset);
  const hint = SYNTAX_HINTS[error.code];
  return {
    code: 'YAML_SYNTAX',
    message: `YAML syntax error: ${error.message}${hint ? ` (${hint})` : ''}`,
    offset,
  };
}

function depthProblem(offset: number): TextProblem {
  return {
    code: 'DEPTH_LIMIT',
    message: `nesting is too deep; at most ${MAX_NESTING_DEPTH} levels of mappings and lists are allowed`,
    offset,
  };
}

/**
 * The document as plain data (the walk's, or `toJS()`'s where the walk left it, as for
 * aliases), if aliases stay in bounds and the top level is a mapping.
 */
function toData(
  document: Document,
  walk: DocumentWalk,
): { data: Record<string, unknown> } | { problem: TextProblem } {
  let data: unknown;
  const aliasAt = walk.firstAlias?.range?.[0] ?? 0;
  try {
    data = walk.data ? walk.data.value : document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const problem: TextProblem = /unresolved alias/i.test(reason)
      ? {
          code: 'YAML_SYNTAX',
          message: `YAML syntax error: ${reason} (define the anchor, &name, before using *name)`,
          offset: aliasAt,
        }
      : {
          code: 'ALIAS_LIMIT',
          message: `aliases expand too much (${reason}); at most ${MAX_ALIAS_COUNT} alias expansions are allowed`,
          offset: aliasAt,
        };
    return { problem };
  }
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    return { data: data as Record<string, unknown> };
  }
  const got = data === null ? 'null' : Array.isArray(data) ? 'a list' : JSON.stringify(data);
  return {
    problem: {
      code: 'NOT_A_MAPPING',
      message: `the top level must be a mapping of keys (key: value lines), got ${got}`,
      offset: (document.contents as Node).range?.[0] ?? 0,
    },
  };
}
