/**
 * Bytes read as UTF-8 text, refusing bytes that are not UTF-8 instead of turning them into
 * U+FFFD as Node's lenient decoding does. The cohort hash is of an identifier's UTF-8 bytes, as
 * the Python service hashes them: a Latin-1 `josé` read leniently would be `jos\uFFFD`, one
 * identifier (and one bucket) for every user whose name was sent that way.
 */

import { isUtf8 } from 'node:buffer';
import type { TextPlace } from './json-syntax.js';

/** The first byte that does not begin or continue a UTF-8 character, and its place as text. */
export interface Utf8Fault extends TextPlace {
  /** Its offset from the first byte read (0-based). */
  offset: number;
}

/** How {@link decodeUtf8} treats a leading byte order mark. */
export interface Utf8Reading {
  /** Keep a leading U+FEFF in the text (JSON's readers then refuse it as before); default: drop it. */
  keepBom?: boolean;
}

const STRIPPING = new TextDecoder('utf-8', { fatal: true });
const KEEPING = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of `bytes[from, to)` as UTF-8, or where the first byte that is not UTF-8 stands
 * (its offset from `from`, its line and its column in characters on that line).
 */
export function decodeUtf8(
  bytes: Uint8Array,
  reading: Utf8Reading = {},
  from = 0,
  to = bytes.length,
): string | Utf8Fault {
  const view = from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
  const decoder = reading.keepBom ? KEEPING : STRIPPING;
  // The fatal decoder checks every byte itself: an isUtf8 before it read each body twice.
  try {
    return decoder.decode(view);
  } catch {
    return utf8FaultAt(view, validPrefixLength(view));
  }
}

/** Where the bytes stop being UTF-8, if they do: {@link decodeUtf8}'s fault without the text. */
export function utf8Fault(bytes: Uint8Array): Utf8Fault | undefined {
  return isUtf8(bytes) ? undefined : utf8FaultAt(bytes, validPrefixLength(bytes));
}

/**
 * A fault in words, quoting none of the bytes around it (they may hold a token or the salt):
 * `not UTF-8 at line 2, column 7 (byte 31 of the body)`, or by column alone for one line.
 */
export function describeUtf8Fault(fault: Utf8Fault, of: string, oneLine = false): string {
  const place = oneLine ? `column ${fault.column}` : `line ${fault.line}, column ${fault.column}`;
  return `not UTF-8 at ${place} (byte ${fault.offset + 1} of ${of})`;
}

function utf8FaultAt(bytes: Uint8Array, offset: number): Utf8Fault {
  let line = 1;
  let lineStart = 0;
  for (let at = 0; at < offset; at += 1) {
    if (bytes[at] === 0x0a) {
      line += 1;
      lineStart = at + 1;
    }
  }
  let column = 1;
  // A character is one byte that is not a continuation byte (10xxxxxx) and those after it.
  for (let at = lineStart; at < offset; at += 1) if ((bytes[at]! & 0xc0) !== 0x80) column += 1;
  return { offset, line, column };
}

/**
 * How many leading bytes are whole UTF-8 characters: the well-formed sequences of the Unicode
 * Standard's table 3-7, which are what a fatal `TextDecoder` accepts (no overlong forms, no
 * surrogates, nothing past U+10FFFF).
 */
function validPrefixLength(bytes: Uint8Array): number {
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at]!;
    if (lead < 0x80) {
      at += 1;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return at;
    if (at + length > bytes.length) return at;
    const second = bytes[at + 1]!;
    if (second < low || second > high) return at;
    for (let next = at + 2; next < at + length; next += 1) {
      if ((bytes[next]! & 0xc0) !== 0x80) return at;
    }
    at += length;
  }
  return at;
}
