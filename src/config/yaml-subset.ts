import { type LoadOptions, load, type State } from 'js-yaml';
import { MAX_NESTING_DEPTH } from './document-walk.js';
import { CONTROL_CHARACTER } from './node-checks.js';
import { OUTSIDE, PLAIN_TAG, SUBSET_SCHEMA } from './subset-schema.js';

/**
 * Where the entries of one top-level mapping (a rule file's `routing_rules`) are written, in
 * the order of the text: each entry's name, and the character offsets of its key and of its
 * value, as the `yaml` library's nodes' ranges start.
 */
export interface SubsetEntries {
  readonly names: string[];
  readonly keyOffsets: number[];
  readonly valueOffsets: number[];
}

/** A text the fast path read: its data, and the places of the entries it was asked for. */
export interface SubsetParse {
  readonly data: Record<string, unknown>;
  /** By top-level key, for the keys named in {@link parseYamlSubset}'s `sections`. */
  readonly sections: ReadonlyMap<string, SubsetEntries>;
}

/** js-yaml's parse state as its listener sees it (more than its published types say). */
interface ListenedState extends State {
  depth: number;
  tag: string | null;
  anchor: string | null;
}

const LONE_CARRIAGE_RETURN = /\r(?!\n)/;
const COMMENT_AFTER_CLOSE = /["'\]}]#/;
const EXPLICIT_KEY = /(?:^|[\s[{,])\?(?:\s|$)/m;
const BLOCK_SCALAR_HEADER = /(?:^|[ \t])[|>][-+1-9]{0,2}[ \t]*(?:#.*)?$/m;
const LINE_OUTSIDE =
  /^(?:%|(?:---|\.\.\.)(?![ \r\n]|$)|(?:---|\.\.\.)[ ]+[^ #\r\n]|(?:[ ]*-(?=[ \r\n]|$))+[ ]*(?:#.*)?$)/m;

/**
 * Whether the text is outside the subset before it is parsed: a byte-order mark (js-yaml drops
 * it, which would shift every offset), a tab, a verbatim tag (`!<?>`), a carriage return alone,
 * a comment right after a quote or a bracket, an explicit key (`? `), a block scalar's header
 * (`|`, `>-`), a directive, a document marker run into what follows (`---#`) or with content
 * on its line (`--- a: 1`, which `yaml` refuses), a `\U` escape (js-yaml reads one past
 * U+10FFFF as stray surrogates, which `yaml` refuses), or a list item
 * with nothing on its line (js-yaml puts the next item of an outer list into the inner one
 * after an empty item: `- a:\n    -\n- b`). Each test is cautious: a `? ` or ` |` inside a
 * quoted string also sends the text the full way, which only costs time. A character search
 * first, so that a text without the character is not scanned by the expression (one
 * expression of all of them cost 4 ms for 10,000 rules, these 1.3).
 */
function outsideByText(text: string): boolean {
  return (
    text.charCodeAt(0) === 0xfeff ||
    text.includes('\t') ||
    text.includes('!<') ||
    text.includes('\\U') ||
    (text.includes('\r') && LONE_CARRIAGE_RETURN.test(text)) ||
    (text.includes('#') && COMMENT_AFTER_CLOSE.test(text)) ||
    (text.includes('?') && EXPLICIT_KEY.test(text)) ||
    ((text.includes('|') || text.includes('>')) && BLOCK_SCALAR_HEADER.test(text)) ||
    LINE_OUTSIDE.test(text)
  );
}
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** The `yaml` library refuses an implicit key longer than this (YAML 1.2, 7.4.2). */
const MAX_IMPLICIT_KEY = 1024;

/**
 * Parses `text` with js-yaml, about eight times cheaper than the `yaml` library, if it is
 * within a subset where both provably make the same data (plain and quoted scalars resolved
 * as the `yaml` core schema does, string keys, no anchor, alias, tag, merge key, explicit key,
 * block scalar, directive or second document) and passes every check `parseConfigText` makes
 * (no control character in the text or a value, no prototype key, no duplicate key, at most
 * {@link MAX_NESTING_DEPTH} levels, a mapping at the top). Otherwise undefined: the text then
 * goes through `parseConfigText`, which owns every refusal and its message and place.
 * `sections` names top-level keys whose entries' places are recorded.
 */
export function parseYamlSubset(
  text: string,
  sections: readonly string[] = [],
): SubsetParse | undefined {
  if (outsideByText(text) || CONTROL_CHARACTER.test(text)) return undefined;
  if (!consistentIndents(text)) return undefined;
  const listener = new SubsetListener(text, sections);
  let data: unknown;
  try {
    data = load(text, {
      schema: SUBSET_SCHEMA,
      listener: listener.listen,
      // Deeper than the limit is refused by the full path; this only keeps js-yaml's recursion
      // short of the stack's end.
      maxDepth: 2 * MAX_NESTING_DEPTH,
    } as LoadOptions);
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const searchControl = text.includes('\\');
  if (!inSubset(data, 1, searchControl)) return undefined;
  const record = data as Record<string, unknown>;
  for (const [name, entries] of listener.sections) {
    if (entries.valueOffsets.length !== entries.names.length) return undefined;
    if (!namesAreKeysOf(entries.names, record[name])) return undefined;
  }
  return { data: record, sections: listener.sections };
}

/**
 * Whether every line's indentation is that of a line it belongs under, or deeper: a line that
 * goes back to a column between two levels (` - x` under `  - y`) is refused by the `yaml`
 * library and read by js-yaml. The content after a list's `- ` is a level of its own. Blank
 * lines and comment lines are skipped; with scalars and flow collections on one line each (the
 * listener sees to it), every other line starts an entry.
 */
function consistentIndents(text: string): boolean {
  const levels: number[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let at = start;
    while (text.charCodeAt(at) === 0x20) at += 1;
    const first = text.charCodeAt(at);
    if (at < end && first !== 0x23 && first !== 0x0d) {
      const indent = at - start;
      let popped = false;
      while (levels.length > 0 && levels[levels.length - 1]! > indent) {
        levels.pop();
        popped = true;
      }
      const top = levels.length > 0 ? levels[levels.length - 1]! : -1;
      if (top < indent) {
        if (popped) return false;
        levels.push(indent);
      }
      // `- - x`: each dash's content is a level.
      while (text.charCodeAt(at) === 0x2d && text.charCodeAt(at + 1) === 0x20) {
        at += 2;
        while (text.charCodeAt(at) === 0x20) at += 1;
        levels.push(at - start);
      }
    }
    start = end + 1;
  }
  return true;
}

/**
 * Whether the data is within the subset and its checks: no collection deeper than
 * {@link MAX_NESTING_DEPTH}, no prototype key, no `<<` (a merge key under YAML 1.1), no key
 * `null` (js-yaml names a null key `null`, the `yaml` library ``), and, when the text has a
 * backslash (only a double-quoted escape can put a control character in a value once the text
 * has none), no control character in a key or a string.
 */
function inSubset(value: unknown, depth: number, searchControl: boolean): boolean {
  if (typeof value === 'string') return !(searchControl && CONTROL_CHARACTER.test(value));
  if (value === null || typeof value !== 'object') return true;
  if (depth > MAX_NESTING_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!inSubset(item, depth + 1, searchControl)) return false;
    return true;
  }
  const keys = Object.keys(value);
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    if (FORBIDDEN_KEYS.has(key) || key === '<<' || key === 'null') return false;
    if (searchControl && CONTROL_CHARACTER.test(key)) return false;
    if (!inSubset((value as Record<string, unknown>)[key], depth + 1, searchControl)) return false;
  }
  return true;
}

/** Whether the names recorded are the section's keys, each once (in any order). */
function namesAreKeysOf(names: readonly string[], section: unknown): boolean {
  if (section === null || typeof section !== 'object' || Array.isArray(section)) {
    return names.length === 0;
  }
  const keys = Object.keys(section);
  if (keys.length !== names.length) return false;
  for (const name of names) if (!Object.hasOwn(section, name)) return false;
  return true;
}

/**
 * js-yaml's listener: leaves the subset on a tag, an anchor or a key that is a collection, and
 * records where the entries of the wanted sections are. A node's `open` comes before its
 * properties and, for a value, before the space that leads to it; a key's `open` is at its
 * first character (keys are read without seeking).
 */
class SubsetListener {
  readonly sections = new Map<string, SubsetEntries>();
  /** Where the node open at each depth was opened. */
  private readonly openedAt: number[] = [];
  /** The line (js-yaml's count) of each of those openings. */
  private readonly openedOnLine: number[] = [];
  /** The entries of the section whose value is being read, if it is wanted. */
  private recording: SubsetEntries | undefined;
  private valueExpected = false;

  constructor(
    private readonly text: string,
    private readonly wanted: readonly string[],
  ) {}

  readonly listen = (event: 'open' | 'close', state: State): void => {
    const { depth, position } = state as ListenedState;
    if (event === 'open') {
      this.openedAt[depth] = position;
      this.openedOnLine[depth] = state.line;
      if (this.isCollectionKey(depth, position)) throw OUTSIDE;
      if (depth === 3 && this.valueExpected) {
        this.recording!.valueOffsets.push(this.valueStart(position));
        this.valueExpected = false;
      }
      return;
    }
    const { tag, anchor, kind } = state as ListenedState;
    // An empty node (`a:`, `-` with nothing after it): js-yaml hangs what follows an empty list
    // item on the wrong list, and an empty value has no first character to place it by.
    if (kind === null) throw OUTSIDE;
    // A plain scalar's tag is '?' or, once resolved, ours; quoted scalars and collections have
    // none. Anything else was written: `! x` (js-yaml throws on every other tag it does not know).
    if (anchor !== null || (tag !== null && tag !== '?' && tag !== PLAIN_TAG)) throw OUTSIDE;
    // A scalar or a flow collection over several lines: the two parsers differ on how far its
    // lines must be indented. (A node that ends on the line it was opened on is on one line.)
    if (state.line !== this.openedOnLine[depth]) {
      const start = this.valueStart(this.openedAt[depth]!);
      const first = this.text.charCodeAt(start);
      const flow = first === 0x5b || first === 0x7b;
      if ((kind === 'scalar' || flow) && this.text.lastIndexOf('\n', position - 1) >= start) {
        throw OUTSIDE;
      }
    }
    if (!this.isKey(position)) return;
    if (kind !== 'scalar') throw OUTSIDE;
    const keyAt = this.openedAt[depth]!;
    if (position - keyAt > MAX_IMPLICIT_KEY) throw OUTSIDE;
    if (depth === 2) {
      const name = String(state.result);
      this.recording = undefined;
      this.valueExpected = false;
      if (!this.wanted.includes(name)) return;
      if (this.sections.has(name)) throw OUTSIDE;
      this.recording = { names: [], keyOffsets: [], valueOffsets: [] };
      this.sections.set(name, this.recording);
    } else if (depth === 3 && this.recording) {
      if (this.valueExpected) throw OUTSIDE;
      this.recording.names.push(String(state.result));
      this.recording.keyOffsets.push(keyAt);
      this.valueExpected = true;
    }
  };

  /**
   * Whether the node opened at `position` is a collection in a flow mapping's key place (after
   * its `{` or a `,`): `{[x]}`, `{{a: 1}}`. js-yaml makes such a key a string of its own (`x`,
   * `[object Object]`) before the data can be checked, where `yaml` writes it out (`[ x ]`); a
   * collection key followed by `:` is caught as a key when it closes.
   */
  private isCollectionKey(depth: number, position: number): boolean {
    if (depth < 2) return false;
    const text = this.text;
    const start = this.valueStart(position);
    const first = text.charCodeAt(start);
    if (first !== 0x5b && first !== 0x7b) return false;
    if (text.charCodeAt(this.valueStart(this.openedAt[depth - 1]!)) !== 0x7b) return false;
    let before = start - 1;
    while (before >= 0 && ' \n\r'.includes(text[before]!)) before -= 1;
    const previous = text.charCodeAt(before);
    return previous === 0x7b || previous === 0x2c;
  }

  /** Whether a node that ends at `position` is a key: a `:` follows on its line. */
  private isKey(position: number): boolean {
    let at = position;
    while (this.text.charCodeAt(at) === 0x20) at += 1;
    return this.text.charCodeAt(at) === 0x3a;
  }

  /** The first character of a value whose reading starts at `position`, past space and comments. */
  private valueStart(position: number): number {
    const text = this.text;
    let at = position;
    for (;;) {
      const code = text.charCodeAt(at);
      if (code === 0x20 || code === 0x0a || code === 0x0d) {
        at += 1;
      } else if (code === 0x23) {
        const end = text.indexOf('\n', at);
        if (end === -1) return text.length;
        at = end;
      } else {
        return at;
      }
    }
  }
}
