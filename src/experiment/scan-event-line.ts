import { outcomeSchema, type SchemaNode } from '../config/schemas.js';

/**
 * The keys a fast-read line may have: the fields of an outcome event and of an exposure record
 * (schemas/outcome-event.schema.json). A line with any other key is left to `JSON.parse`, so that
 * no key of the input (`__proto__` for one) is ever set on an object here.
 */
const KEYS: readonly string[] = [
  ...new Set([
    ...Object.keys((outcomeSchema as SchemaNode).properties ?? {}),
    ...Object.keys(
      (outcomeSchema as { definitions: Record<string, SchemaNode> }).definitions.exposure
        ?.properties ?? {},
    ),
  ]),
];
const KEY_BYTES = KEYS.map((key) => Buffer.from(key, 'latin1'));
/** Candidate keys by (length, first byte, last byte). */
const KEYS_BY_SHAPE = new Map<number, number[]>();
for (const [index, bytes] of KEY_BYTES.entries()) {
  const shape = shapeOf(bytes, 0, bytes.length);
  KEYS_BY_SHAPE.set(shape, [...(KEYS_BY_SHAPE.get(shape) ?? []), index]);
}

/** Powers of ten that are exact doubles: 10^0 .. 10^22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, power) => Number(`1e${power}`));
/** At most 15 decimal digits: the integer they spell is below 2^53, so it is an exact double. */
const MAX_DIGITS = 15;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Node's own Buffer method behind `toString('latin1', from, to)`, called directly: the public
 * wrapper's argument checks were a tenth of a line's time.
 */
type LatinSlicing = Buffer & { latin1Slice(from: number, to: number): string };

/** The end of a value or key scanned by the last call, or -1 when it was not read. */
let scanned = -1;

/**
 * `JSON.parse` of one event-log line, read straight from its bytes, for the lines an event log
 * holds: a flat object whose keys are the event's fields (each once), whose strings are printable
 * ASCII without escapes, whose numbers have at most 15 digits and no exponent, and whose other
 * values are `true` and `false`. For such a line it returns exactly what `JSON.parse` returns
 * (the same keys in the same order, the same doubles); for any other line it returns undefined
 * and the caller parses the text. Numbers are exact: an integer of at most 15 digits and a power
 * of ten up to 10^22 are both exact doubles, and one IEEE division of the two is correctly
 * rounded, as `JSON.parse` is.
 */
export function scanEventLine(
  bytes: Buffer,
  from: number,
  to: number,
): Record<string, unknown> | undefined {
  let at = skipSpace(bytes, from, to);
  if (at >= to || bytes[at] !== OPEN) return undefined;
  at = skipSpace(bytes, at + 1, to);
  const value: Record<string, unknown> = {};
  let seen = 0;
  for (;;) {
    if (at >= to || bytes[at] !== QUOTE) return undefined;
    const key = keyAt(bytes, at + 1, to);
    // The keys seen are bits of one number: a key past the 31st is left to JSON.parse.
    if (key < 0 || key > 30 || seen & (1 << key)) return undefined;
    seen |= 1 << key;
    at = skipSpace(bytes, scanned, to);
    if (at >= to || bytes[at] !== COLON) return undefined;
    at = skipSpace(bytes, at + 1, to);
    const item = scanValueAt(bytes, at, to);
    if (scanned < 0) return undefined;
    value[KEYS[key]!] = item;
    at = skipSpace(bytes, scanned, to);
    if (at >= to) return undefined;
    if (bytes[at] === CLOSE) break;
    if (bytes[at] !== COMMA) return undefined;
    at = skipSpace(bytes, at + 1, to);
  }
  return skipSpace(bytes, at + 1, to) === to ? value : undefined;
}

/** JSON's white space: space, tab, carriage return (a line holds no line feed). */
function skipSpace(bytes: Buffer, from: number, to: number): number {
  let at = from;
  while (at < to) {
    const byte = bytes[at]!;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) break;
    at += 1;
  }
  return at;
}

function shapeOf(bytes: Buffer, from: number, to: number): number {
  return (to - from) * 65536 + bytes[from]! * 256 + bytes[to - 1]!;
}

/** The index of the known key whose text starts at `from` (after its quote), or -1. */
function keyAt(bytes: Buffer, from: number, to: number): number {
  let end = from;
  while (end < to && bytes[end] !== QUOTE) end += 1;
  if (end >= to || end === from) return -1;
  const candidates = KEYS_BY_SHAPE.get(shapeOf(bytes, from, end));
  if (candidates === undefined) return -1;
  for (const index of candidates) {
    const key = KEY_BYTES[index]!;
    let same = true;
    for (let offset = 1; offset < key.length - 1 && same; offset += 1) {
      same = bytes[from + offset] === key[offset];
    }
    if (same) {
      scanned = end + 1;
      return index;
    }
  }
  return -1;
}

/** The value starting at `from`; `scanned` is left at its end, or -1 when it is not read here. */
function scanValueAt(bytes: Buffer, from: number, to: number): unknown {
  scanned = -1;
  const first = bytes[from];
  if (first === QUOTE) return stringAt(bytes, from + 1, to);
  if (first === MINUS || (first !== undefined && first >= ZERO && first <= NINE)) {
    return numberAt(bytes, from, to);
  }
  if (wordAt(bytes, from, to, 'true')) return true;
  if (wordAt(bytes, from, to, 'false')) return false;
  return undefined;
}

function stringAt(bytes: Buffer, from: number, to: number): string | undefined {
  for (let at = from; at < to; at += 1) {
    const byte = bytes[at]!;
    if (byte === QUOTE) {
      scanned = at + 1;
      return (bytes as LatinSlicing).latin1Slice(from, at);
    }
    // Control characters, escapes and anything beyond ASCII are JSON.parse's to read.
    if (byte < 0x20 || byte > 0x7f || byte === BACKSLASH) return undefined;
  }
  return undefined;
}

function numberAt(bytes: Buffer, from: number, to: number): number | undefined {
  let at = from;
  const negative = bytes[at] === MINUS;
  if (negative) at += 1;
  const start = at;
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  while (at < to && bytes[at]! >= ZERO && bytes[at]! <= NINE) {
    mantissa = mantissa * 10 + (bytes[at]! - ZERO);
    digits += 1;
    at += 1;
  }
  // JSON has no empty integer part and no leading zero.
  if (digits === 0 || (digits > 1 && bytes[start] === ZERO)) return undefined;
  if (at < to && bytes[at] === DOT) {
    at += 1;
    while (at < to && bytes[at]! >= ZERO && bytes[at]! <= NINE) {
      mantissa = mantissa * 10 + (bytes[at]! - ZERO);
      digits += 1;
      decimals += 1;
      at += 1;
    }
    if (decimals === 0) return undefined;
  }
  // An exponent, or more digits than a double holds exactly: JSON.parse reads it.
  if (digits > MAX_DIGITS || (at < to && (bytes[at] === 0x65 || bytes[at] === 0x45))) {
    return undefined;
  }
  scanned = at;
  const magnitude = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals]!;
  return negative ? -magnitude : magnitude;
}

function wordAt(bytes: Buffer, from: number, to: number, word: string): boolean {
  if (from + word.length > to) return false;
  for (let offset = 0; offset < word.length; offset += 1) {
    if (bytes[from + offset] !== word.charCodeAt(offset)) return false;
  }
  scanned = from + word.length;
  return true;
}
