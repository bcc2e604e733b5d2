/**
 * What `JSON.stringify` (and pino) leave raw of a text that a reader of a log could take as a
 * line break or a control, or that would change how the text around it shows: DEL and the C1
 * controls (U+0085 is a line break to Python's `splitlines` and to many terminals, U+009B a
 * terminal's control sequence), the line and paragraph separators U+2028 and U+2029, and the
 * bidirectional controls (U+202E and its kin reorder what a terminal shows).
 */
const LEFT_RAW_BY_JSON =
  '\\u007F-\\u009F\\u2028\\u2029\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069';
const IN_JSON = new RegExp(`[${LEFT_RAW_BY_JSON}]`);
const ALL_IN_JSON = new RegExp(`[${LEFT_RAW_BY_JSON}]`, 'g');
/** The same and the C0 controls (a line feed, ESC), which JSON escapes itself. */
const IN_TEXT = new RegExp(`[\\u0000-\\u001F${LEFT_RAW_BY_JSON}]`);
const ALL_IN_TEXT = new RegExp(`[\\u0000-\\u001F${LEFT_RAW_BY_JSON}]`, 'g');

const escaped = (character: string): string =>
  `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A caller's `text` as a log message may show it: each control character, line or paragraph
 * separator and bidirectional control written as a `\uXXXX` escape, so that the message shows
 * what the text holds instead of breaking the line or reordering it.
 */
export function escapeControls(text: string): string {
  return IN_TEXT.test(text) ? text.replace(ALL_IN_TEXT, escaped) : text;
}

/**
 * A JSON log line with what JSON leaves raw of {@link escapeControls}'s characters written as
 * JSON escapes: a reader that parses the line gets the same values back, and one that reads it
 * as text sees one line. The line's own line feed, and C0 controls JSON escaped, are kept.
 */
export function escapeJsonLine(line: string): string {
  return IN_JSON.test(line) ? line.replace(ALL_IN_JSON, escaped) : line;
}
