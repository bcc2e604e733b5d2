import { placeOf } from '../json-syntax.js';

/** A key given twice in one object of a JSON text: where, in the value and in the text. */
export interface DuplicateKey {
  /** The path to the key from the top of the value (`context.region`, `1.latencyMs`). */
  path: string[];
  /** Line and column (1-based, in characters) of the first and of the second occurrence. */
  first: { line: number; column: number };
  second: { line: number; column: number };
}

/**
 * The number of object keys in a parsed JSON value, at every level. The value nests at most as
 * deep as the body's depth limit allows (checked before), so the recursion is bounded.
 */
function keysIn(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += keysIn(item);
    return count;
  }
  for (const key in value) {
    count += 1;
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null) count += keysIn(child);
  }
  return count;
}

/** The number of `:` in `text`, counted with the native `indexOf`. */
function colonsIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) count += 1;
  return count;
}

/** The number of `:` in `text` outside strings: its keys, strings skipped with `indexOf`. */
function keyColonsIn(text: string): number {
  let count = 0;
  let colon = text.indexOf(':');
  let quote = text.indexOf('"');
  while (colon !== -1) {
    if (quote === -1 || colon < quote) {
      count += 1;
      colon = text.indexOf(':', colon + 1);
      continue;
    }
    const end = stringEnd(text, quote);
    if (colon < end) colon = text.indexOf(':', end + 1);
    quote = text.indexOf('"', end + 1);
  }
  return count;
}

/**
 * Whether the JSON `text`, which parsed to `value`, may give a key twice in one object. Every
 * key of the text is followed by a `:`, and every other `:` is inside a string, so the text's
 * colons are at least its keys, and its keys at least the parsed value's (a key given twice
 * leaves one). When the colons are exactly the parsed keys, no key was given twice: the usual
 * body answers this with a native count and a walk of a few keys. A body with a `:` in a string
 * has its keys' colons counted, skipping strings; only when those differ from the parsed keys
 * too (a key was given twice) is it read by {@link findDuplicateKey}. `keyColons`: the text's
 * colons outside strings, when a pass over it has counted them already (the depth check's).
 */
export function mayRepeatKeys(text: string, value: unknown, keyColons?: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const keys = keysIn(value);
  if (keyColons !== undefined) return keyColons !== keys;
  return colonsIn(text) !== keys && keyColonsIn(text) !== keys;
}

/** Where the string starting with `"` at `start` ends: the index of its closing quote. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** An object or a list being read: the keys met so far (with where), or the item's index. */
interface Frame {
  keys: Map<string, number> | undefined;
  index: number;
  /** The key of the value being read in an object (its path's last part). */
  key: string;
  expectKey: boolean;
}

/**
 * The first key given twice in one object of the valid JSON `text`, with its path and both
 * places; undefined when every key is given once. Keys are compared as JSON reads them
 * (`"a"` and `"\u0061"` are one key). One pass over the text, strings skipped natively.
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const frames: Frame[] = [];
  const path = (): string[] =>
    frames.slice(1).map((_, at) => {
      const parent = frames[at]!;
      return parent.keys ? parent.key : String(parent.index);
    });
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    const top = frames.at(-1);
    if (code === 0x22) {
      const end = stringEnd(text, at);
      if (top?.keys && top.expectKey) {
        const raw = text.slice(at + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        const earlier = top.keys.get(key);
        if (earlier !== undefined) {
          top.key = key;
          return {
            path: [...path(), key],
            first: placeOf(text, earlier),
            second: placeOf(text, at),
          };
        }
        top.keys.set(key, at);
        top.key = key;
        top.expectKey = false;
      }
      at = end;
    } else if (code === 0x7b) {
      frames.push({ keys: new Map(), index: 0, key: '', expectKey: true });
    } else if (code === 0x5b) {
      frames.push({ keys: undefined, index: 0, key: '', expectKey: false });
    } else if (code === 0x7d || code === 0x5d) {
      frames.pop();
    } else if (code === 0x2c && top) {
      if (top.keys) top.expectKey = true;
      else top.index += 1;
    }
  }
  return undefined;
}
