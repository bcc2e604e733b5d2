/**
 * The stable JSON of rules as `configVersion` hashes them: `{"name":…,"spec":…}` for each rule,
 * every object's keys sorted, joined by commas; byte for byte what safe-stable-stringify makes
 * of each `{ name, spec }` (a property test holds it to that). One `JSON.stringify` of all the
 * rules with the sorted list of every key they use as its property list, which orders each
 * object's own keys the same way: safe-stable-stringify, called once a rule, took 16 to 19 ms
 * for 10,000 rules, this 7 to 12.
 */
export function rulesJsonOf(names: readonly string[], specs: readonly unknown[]): string {
  const keys = new Set<string>(['name', 'spec']);
  const rules = new Array<{ name: string; spec: unknown }>(names.length);
  for (let index = 0; index < names.length; index += 1) {
    rules[index] = { name: names[index]!, spec: specs[index] };
    keysOf(specs[index], keys);
  }
  if (rules.length === 0) return '';
  // A property list reads each key through the prototype too: Object.prototype's `__proto__`
  // would come out as {}. The configuration's checks refuse that key; this refuses it again.
  if (keys.has('__proto__')) throw new Error('a rule has a key "__proto__"');
  const json = JSON.stringify(rules, [...keys].sort());
  return json.slice(1, -1);
}

/** Adds every key of the objects in `value`, however deep, to `keys`. */
function keysOf(value: unknown, keys: Set<string>): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) keysOf(item, keys);
    return;
  }
  for (const key of Object.keys(value)) {
    keys.add(key);
    keysOf((value as Record<string, unknown>)[key], keys);
  }
}
