import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, utf8Fault } from '../src/utf8.js';

const FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes that are often UTF-8 and often damaged: text, with random bytes dropped in. */
const bytes = fc
  .tuple(
    fc.string({ unit: 'binary' }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))),
  )
  .map(([text, damage]) => {
    const out = Buffer.from(text);
    for (const [at, byte] of damage) if (out.length > 0) out[at % out.length] = byte;
    return out;
  });

describe('decodeUtf8', () => {
  it('refuses exactly what a fatal TextDecoder refuses, at the end of the longest prefix it accepts', () => {
    fc.assert(
      fc.property(bytes, (input) => {
        const read = decodeUtf8(input, { keepBom: true });
        let decoded: string | undefined;
        try {
          decoded = FATAL.decode(input);
        } catch {
          decoded = undefined;
        }
        if (decoded !== undefined) {
          expect(read).toBe(decoded);
          expect(utf8Fault(input)).toBeUndefined();
          return;
        }
        expect(typeof read).toBe('object');
        const fault = read as Exclude<typeof read, string>;
        // The bytes before the fault decode; the fault's byte starts no character that ends.
        const before = FATAL.decode(input.subarray(0, fault.offset));
        expect(() => FATAL.decode(input.subarray(0, fault.offset + 4))).toThrow();
        const lines = before.split('\n');
        expect(fault.line).toBe(lines.length);
        expect(fault.column).toBe([...lines.at(-1)!].length + 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('drops a leading byte order mark unless told to keep it, and reads a range of the bytes', () => {
    const text = Buffer.from('\ufeffabc\u00e9');
    expect(decodeUtf8(text)).toBe('abc\u00e9');
    expect(decodeUtf8(text, { keepBom: true })).toBe('\ufeffabc\u00e9');
    expect(decodeUtf8(text, {}, 3, 5)).toBe('ab');
    expect(decodeUtf8(Buffer.from([0x61, 0x0a, 0x62, 0xe9, 0x63]))).toEqual({
      offset: 3,
      line: 2,
      column: 2,
    });
  });
});
