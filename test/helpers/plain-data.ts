import fc from 'fast-check';

/**
 * Plain data as a configuration holds it (strings, numbers, booleans, null, lists and objects,
 * nested a few levels), with keys from `key` and strings from `text`.
 */
export function plainData(
  key: fc.Arbitrary<string>,
  text: fc.Arbitrary<string> = fc.string(),
  number: fc.Arbitrary<number> = fc.double(),
): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(text, fc.integer(), number, fc.boolean(), fc.constant(null)),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    ),
  })).value;
}
