import { lineTooLong, MAX_LINE_BYTES, type MalformedLine, readPart } from '../experiment/index.js';
import { PairedTally } from './paired-tally.js';

/** The pairs of some event files, folded per unit, with the lines that could not be read. */
export interface ReadPairs {
  tally: PairedTally;
  lines: number;
  malformed: number;
  /** The first malformed lines, in reading order. */
  examples: MalformedLine[];
}

/**
 * Streams outcome event logs (JSON lines, `.gz` decompressed on the fly) into a
 * {@link PairedTally}, each line held to the outcome schema by the experiment's reader: a line
 * that is not an outcome or exposure record is skipped and counted with its file:line; a file
 * that cannot be read, or a line longer than 1 MiB, is an `INVALID_DATA` error naming the file.
 */
export async function readPairFiles(files: readonly string[]): Promise<ReadPairs> {
  const result: ReadPairs = { tally: new PairedTally(), lines: 0, malformed: 0, examples: [] };
  for (const file of files) {
    const part = await readPart(file, {}, result.tally, undefined, {
      maxLineBytes: MAX_LINE_BYTES,
      onDecisionId() {},
    });
    if (part.tooLong !== undefined) throw lineTooLong(file, part.tooLong, MAX_LINE_BYTES);
    result.lines += part.lines;
    result.malformed += part.malformed;
    for (const example of part.examples)
      if (result.examples.length < 20) result.examples.push(example);
  }
  return result;
}
