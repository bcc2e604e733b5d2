/** The text of UTF-8 bytes, or the line and column of the first byte that is not UTF-8. */
export function decodeUtf8(bytes: Buffer): string | { line: number; column: number } {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const good = validPrefixLength(bytes);
    const lines = bytes.subarray(0, good).toString('utf8').split('\n');
    return { line: lines.length, column: [...(lines.at(-1) ?? '')].length + 1 };
  }
}

/** How many leading bytes decode cleanly (a sequence is at most four bytes long). */
function validPrefixLength(bytes: Buffer): number {
  let good = 0;
  for (let end = 1; end <= bytes.length; end += 1) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(good, end));
      good = end;
    } catch {
      if (end - good >= 4) break;
    }
  }
  return good;
}
