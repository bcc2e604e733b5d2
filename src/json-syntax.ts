/**
 * Where and why a text is not JSON, in words. `JSON.parse`'s own message quotes the input
 * around the fault (`Unexpected token 'x', "...abc"... is not valid JSON`), and the input can
 * hold a secret (a token, the salt): no error flagroute gives quotes it. The fault is found by
 * reading the text again, once `JSON.parse` has refused it, so the happy path costs nothing.
 */

/** A place in a text: line and column, 1-based, the column in characters (code points). */
export interface TextPlace {
  line: number;
  column: number;
}

/** The first fault of a text that is not JSON: its offset, its place and what is wrong. */
export interface JsonSyntaxFault extends TextPlace {
  /** The offset of the fault in the text, in UTF-16 code units (a string index). */
  offset: number;
  /** What is wrong, in words, quoting no byte of the input: `expected ':' after a property name`. */
  what: string;
  /** Whether the text is one line (a JSON line), so its place is said by column alone. */
  oneLine: boolean;
}

/** Line and column of `offset` in `text` (see {@link TextPlace}). */
export function placeOf(text: string, offset: number): TextPlace {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) {
    line += 1;
    lineStart = at + 1;
  }
  return { line, column: [...text.slice(lineStart, offset)].length + 1 };
}

/** What a JSON value may be, for the faults where one was expected. */
const A_VALUE =
  'a value (an object, a list, a string in double quotes, a number, true, false or null)';

/** The characters JSON reads between tokens: space, tab, line feed, carriage return. */
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isHex(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** A fault found while reading: where, and what. */
class Fault {
  constructor(
    readonly offset: number,
    readonly what: string,
  ) {}
}

/** What stands where a value was expected, when it is not one. */
function notAValue(text: string, at: number, after: string): Fault {
  const code = text.charCodeAt(at);
  if (at >= text.length)
    return new Fault(at, `the text ends where ${A_VALUE} was expected${after}`);
  if (code === 0x27) {
    return new Fault(at, `a string in single quotes${after}: JSON strings take double quotes`);
  }
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) {
    return new Fault(
      at,
      `a word JSON does not know${after}: strings take double quotes, and the only words are true, false and null`,
    );
  }
  return new Fault(at, `expected ${A_VALUE}${after}`);
}

/** The end of the string whose `"` is at `start`, or its fault. */
function readString(text: string, start: number, kind: string): number | Fault {
  let at = start + 1;
  for (;;) {
    if (at >= text.length) {
      return new Fault(start, `${kind} is not closed: no '"' ends it before the end of the text`);
    }
    const code = text.charCodeAt(at);
    if (code === 0x22) return at + 1;
    if (code < 0x20) {
      const shown = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
      const hint = code === 0x0a ? " (is a '\"' missing before the end of the line?)" : '';
      return new Fault(
        at,
        `a control character (${shown}) inside ${kind}: write it as an escape such as \\n or \\u000a${hint}`,
      );
    }
    if (code === 0x5c) {
      const next = text.charCodeAt(at + 1);
      if (next === 0x75) {
        for (let digit = 2; digit < 6; digit += 1) {
          if (!isHex(text.charCodeAt(at + digit))) {
            return new Fault(at, `an escape \\u inside ${kind} without four hexadecimal digits`);
          }
        }
        at += 6;
        continue;
      }
      // " \ / b f n r t
      if ([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(next)) {
        at += 2;
        continue;
      }
      return new Fault(
        at,
        `an escape JSON does not know inside ${kind}: the escapes are \\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\u with four hexadecimal digits`,
      );
    }
    at += 1;
  }
}

/** The end of the number starting at `start`, or its fault. */
function readNumber(text: string, start: number): number | Fault {
  let at = start;
  if (text.charCodeAt(at) === 0x2d) at += 1;
  if (!isDigit(text.charCodeAt(at))) return new Fault(at, "a number has no digit after its '-'");
  if (text.charCodeAt(at) === 0x30 && isDigit(text.charCodeAt(at + 1))) {
    return new Fault(
      at,
      'a number starts with 0 and more digits: JSON numbers have no leading zero',
    );
  }
  while (isDigit(text.charCodeAt(at))) at += 1;
  if (text.charCodeAt(at) === 0x2e) {
    at += 1;
    if (!isDigit(text.charCodeAt(at))) {
      return new Fault(at, "a number has no digit after its decimal point '.'");
    }
    while (isDigit(text.charCodeAt(at))) at += 1;
  }
  const exponent = text.charCodeAt(at);
  if (exponent === 0x65 || exponent === 0x45) {
    at += 1;
    const sign = text.charCodeAt(at);
    if (sign === 0x2b || sign === 0x2d) at += 1;
    if (!isDigit(text.charCodeAt(at)))
      return new Fault(at, 'a number has no digit in its exponent');
    while (isDigit(text.charCodeAt(at))) at += 1;
  }
  return at;
}

/** A scalar value at `at` (not an object or a list): its end, or its fault. */
function readScalar(text: string, at: number, after: string): number | Fault {
  const code = text.charCodeAt(at);
  if (code === 0x22) return readString(text, at, 'a string');
  if (code === 0x2d || isDigit(code)) return readNumber(text, at);
  for (const word of ['true', 'false', 'null']) {
    if (text.startsWith(word, at)) return at + word.length;
  }
  return notAValue(text, at, after);
}

/** The offset of the first character at or after `at` that is not white space. */
function pastSpace(text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at += 1;
  return at;
}

/** The first fault of `text` read as JSON (RFC 8259, as `JSON.parse` reads it), if any. */
function firstFault(text: string): Fault | undefined {
  if (text.charCodeAt(0) === 0xfeff) {
    return new Fault(0, 'the text starts with a byte order mark (U+FEFF); write JSON without one');
  }
  // The objects (true) and lists (false) open around `at`, innermost last.
  const open: boolean[] = [];
  let at = pastSpace(text, 0);
  // Each turn reads one value at `at`, then what may follow it.
  let after = '';
  for (;;) {
    const code = text.charCodeAt(at);
    if (code === 0x7b || code === 0x5b) {
      const isObject = code === 0x7b;
      at = pastSpace(text, at + 1);
      const close = isObject ? 0x7d : 0x5d;
      if (text.charCodeAt(at) === close) {
        at += 1;
      } else {
        open.push(isObject);
        if (isObject) {
          const key = readKey(text, at, '');
          if (key instanceof Fault) return key;
          at = key;
        }
        after = isObject ? " after ':'" : " after '['";
        continue;
      }
    } else {
      const end = readScalar(text, at, after);
      if (end instanceof Fault) return end;
      at = end;
    }
    // A value has been read: what may follow it.
    for (;;) {
      at = pastSpace(text, at);
      const inObject = open.at(-1);
      if (inObject === undefined) {
        return at < text.length
          ? new Fault(
              at,
              'more after the JSON value: a text holds one value (a JSON line, one per line)',
            )
          : undefined;
      }
      const next = text.charCodeAt(at);
      if (next === (inObject ? 0x7d : 0x5d)) {
        open.pop();
        at += 1;
        continue;
      }
      const place = inObject ? "',' or '}' after a property value" : "',' or ']' after a list item";
      if (next !== 0x2c) {
        if (at >= text.length) {
          return new Fault(at, `the text ends where ${place} was expected`);
        }
        return new Fault(at, `expected ${place}`);
      }
      at = pastSpace(text, at + 1);
      if (inObject) {
        const key = readKey(text, at, " after ','");
        if (key instanceof Fault) return key;
        at = key;
        after = " after ':'";
      } else if (text.charCodeAt(at) === 0x5d) {
        return new Fault(at, "a ']' after ',': JSON lists take no trailing comma");
      } else {
        after = " after ','";
      }
      break;
    }
  }
}

/** A property name and its `:` at `at`; the offset of its value (past white space), or the fault. */
function readKey(text: string, at: number, after: string): number | Fault {
  const code = text.charCodeAt(at);
  if (code === 0x7d && after !== '') {
    return new Fault(at, "a '}' after ',': JSON objects take no trailing comma");
  }
  if (code !== 0x22) {
    if (at >= text.length) {
      return new Fault(at, `the text ends where a property name was expected${after}`);
    }
    const quotes = code === 0x27 ? ' (in double quotes, not single)' : ' in double quotes';
    return new Fault(at, `expected a property name${quotes}${after}`);
  }
  const end = readString(text, at, 'a property name');
  if (end instanceof Fault) return end;
  const colon = pastSpace(text, end);
  if (text.charCodeAt(colon) !== 0x3a) {
    return colon >= text.length
      ? new Fault(colon, "the text ends where ':' after a property name was expected")
      : new Fault(colon, "expected ':' after a property name");
  }
  return pastSpace(text, colon + 1);
}

/**
 * The first fault of `text` as JSON, with its place, or undefined when `text` is JSON. Read in
 * one pass with a stack of the open objects and lists, so any depth is read without recursion.
 */
export function jsonSyntaxFault(text: string): JsonSyntaxFault | undefined {
  const fault = firstFault(text);
  if (fault === undefined) return undefined;
  const oneLine = !text.includes('\n');
  return { offset: fault.offset, what: fault.what, oneLine, ...placeOf(text, fault.offset) };
}

/** A fault with its place: `... at column 17`, or `... at line 3, column 17` in a text of lines. */
function describeJsonSyntaxFault(fault: JsonSyntaxFault): string {
  const place = fault.oneLine
    ? `column ${fault.column}`
    : `line ${fault.line}, column ${fault.column}`;
  return `${fault.what} at ${place}`;
}

/**
 * Why `text`, which `JSON.parse` refused, is not JSON, in words with its place and no byte of
 * it: `expected ',' or '}' after a property value at column 17`. Use this wherever a refusal
 * reaches a person or the wire, never `JSON.parse`'s message.
 */
export function describeJsonSyntaxError(text: string): string {
  const fault = jsonSyntaxFault(text);
  // JSON.parse and this reading agree on RFC 8259; should they ever differ, say so without a place.
  return fault === undefined ? 'it is not JSON' : describeJsonSyntaxFault(fault);
}
