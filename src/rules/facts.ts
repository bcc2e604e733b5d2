/** The facts the rules can read, built from a routing context. */
export interface RuleFacts {
  /** Length of the query in Unicode code points (as Python's `len`); absent without query text. */
  queryLength?: number | undefined;
  queryType?: string | undefined;
  region?: string | undefined;
  queryComplexity?: number | undefined;
  userId?: string | undefined;
  sessionId?: string | undefined;
  [attribute: string]: unknown;
}

const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

/** Counts Unicode code points, as Python's `len()` does, without allocating. */
export function codePointLength(text: string): number {
  // Most text has no astral characters: the regex scan is far cheaper than a charCodeAt loop.
  if (!HIGH_SURROGATE.test(text)) return text.length;
  let length = text.length;
  for (let index = 0; index < text.length - 1; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length -= 1;
        index += 1;
      }
    }
  }
  return length;
}
