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

/**
 * Whether a fact's name is also a property every object inherits (`toString`, `constructor`,
 * `__proto__`): such a fact is read from the facts' own properties only, so that a rule reading
 * an absent attribute `toString` sees no value rather than Object.prototype's function.
 */
export function isInheritedName(name: string): boolean {
  return name in Object.prototype;
}

/** A fact's value: the facts' own property of that name, undefined when they have none. */
export function factOf(facts: RuleFacts, name: string): unknown {
  return isInheritedName(name) && !Object.hasOwn(facts, name) ? undefined : facts[name];
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
