import { type Document, isMap, isPair, isScalar, type LineCounter, type Node } from 'yaml';
import { type ParseOptions, parseConfigText } from './config-text.js';
import type { YamlFile } from './yaml-file.js';
import type { SubsetEntries, SubsetParse } from './yaml-subset.js';

/** The fast path's parse of each file it read, for the places of its sections' entries. */
const subsetParses = new WeakMap<YamlFile, SubsetParse>();

/**
 * A file the fast path (`parseYamlSubset`) read: its data now, and the `yaml` library's
 * document and line counter only when something asks for a position (a schema problem, an
 * origin, an edit of the environment file). They are then exactly what the full path makes, so
 * every position is today's; a valid rule file never pays for them.
 */
export function lazyYamlFile(
  text: string,
  path: string,
  displayPath: string,
  parse: SubsetParse,
  options: ParseOptions,
): YamlFile {
  let full: { document: Document; lineCounter: LineCounter } | undefined;
  const parsed = () => {
    if (full === undefined) {
      const checked = parseConfigText(text, options);
      // The property test of yaml-subset holds the fast path to texts the full path accepts.
      if (!checked.ok)
        throw new Error(`${displayPath}: the YAML fast path accepted a refused text`);
      full = checked;
    }
    return full;
  };
  const file: YamlFile = {
    path,
    displayPath,
    text,
    data: parse.data,
    get document() {
      return parsed().document;
    },
    get lineCounter() {
      return parsed().lineCounter;
    },
  };
  subsetParses.set(file, parse);
  return file;
}

/** The entries of a top-level mapping in the order of the text, and the text's line starts. */
export interface SectionEntries extends SubsetEntries {
  /** Offsets at which lines start, as `LineCounter.lineStarts`. */
  readonly lineStarts: readonly number[];
}

/**
 * Where the entries of the top-level mapping `key` of `file` are written: from the fast path's
 * record when it read the file and was asked for `key` (no document is made), from the document
 * otherwise. Entries whose key is not a scalar are left out.
 */
export function sectionEntriesOf(file: YamlFile, key: string): SectionEntries {
  const recorded = subsetParses.get(file)?.sections.get(key);
  if (recorded) return { ...recorded, lineStarts: lineStartsOf(file.text) };
  const entries: SectionEntries = {
    names: [],
    keyOffsets: [],
    valueOffsets: [],
    lineStarts: file.lineCounter.lineStarts,
  };
  const contents = file.document.contents;
  const map = isMap(contents) ? contents.get(key, true) : undefined;
  if (!isMap(map)) return entries;
  for (const pair of map.items as unknown[]) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const keyAt = pair.key.range?.[0] ?? 0;
    entries.names.push(String(pair.key.value));
    entries.keyOffsets.push(keyAt);
    entries.valueOffsets.push(isNode(pair.value) ? (pair.value.range?.[0] ?? 0) : keyAt);
  }
  return entries;
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && 'range' in value;
}

/** The offsets at which the lines of `text` start, as the `yaml` library's line counter has them. */
function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
    starts.push(index + 1);
  }
  return starts;
}
