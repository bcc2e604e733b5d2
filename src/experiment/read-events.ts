import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { EventAccumulator } from './event-accumulator.js';
import { checkEvent } from './experiment-data.js';

/** A line that is not an outcome event. */
export interface MalformedLine {
  file: string;
  line: number;
  problem: string;
}

/** The events of some files, folded, with what could not be read. */
export interface ReadEvents {
  accumulator: EventAccumulator;
  lines: number;
  malformed: number;
  /** The first malformed lines (at most {@link MALFORMED_KEPT}), in reading order. */
  examples: MalformedLine[];
}

/** How many malformed lines are kept as examples; the rest are only counted. */
export const MALFORMED_KEPT = 20;

/**
 * Streams JSON-lines event files (`.gz` decompressed on the fly) into one accumulator, in one
 * pass: memory grows with the number of users, not events. A line that is not valid JSON or not
 * an outcome event is skipped and counted, with its file:line. Blank lines are ignored.
 */
export async function readEventFiles(
  files: readonly string[],
  onProgress?: (bytes: number) => void,
): Promise<ReadEvents> {
  const result: ReadEvents = {
    accumulator: new EventAccumulator(),
    lines: 0,
    malformed: 0,
    examples: [],
  };
  for (const file of files) {
    const raw = createReadStream(file);
    if (onProgress) raw.on('data', (chunk) => onProgress(chunk.length));
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const failed = new Promise<never>((_, reject) => {
      raw.on('error', reject);
      input.on('error', reject);
    });
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let number = 0;
    const consume = (async () => {
      for await (const line of lines) {
        number += 1;
        if (line.trim() === '') continue;
        result.lines += 1;
        const problem = addLine(result.accumulator, line);
        if (problem === undefined) continue;
        result.malformed += 1;
        if (result.examples.length < MALFORMED_KEPT)
          result.examples.push({ file, line: number, problem });
      }
    })();
    await Promise.race([consume, failed]);
  }
  return result;
}

function addLine(accumulator: EventAccumulator, line: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const checked = checkEvent(value);
  if (!checked.ok) return checked.problem;
  accumulator.add(checked.event);
  return undefined;
}
