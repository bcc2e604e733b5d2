import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statsFileSource } from '../../src/experiment/experiment-source.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { fixtureEvents } from '../helpers/experiment-fixtures.js';

/** The built reader: its worker threads run from dist/ (the source has no .js worker). */
const built = (await import(
  join(REPO_DIR, 'dist', 'index.js')
)) as typeof import('../../src/index.js');

const MIB = 1024 * 1024;

/**
 * An event log of exactly 16 MiB, which two readers cut at its middle, 8 MiB, the chunk size
 * (and a multiple of one thread's 1 MiB reads): a line ending in a Latin-1 byte just before the
 * middle, a line whose `é` (two bytes) straddles it, and a line starting with a Latin-1 byte
 * right after it, the first line of the second chunk, then a Latin-1 name in an event.
 */
function eventLog(): { bytes: Buffer; bad: { line: number; column: number }[] } {
  const events = fixtureEvents('clear-winner').map((event) => JSON.stringify(event));
  const parts: Buffer[] = [];
  let size = 0;
  const add = (...pieces: (string | number[])[]) => {
    const line = Buffer.concat([
      ...pieces.map((piece) => Buffer.from(piece as string)),
      Buffer.from('\n'),
    ]);
    parts.push(line);
    size += line.length;
    return parts.length;
  };
  const filler = () => events[parts.length % events.length]!;
  while (8 * MIB - size > 600) add(filler());
  const event = filler();
  const prefix = '{"time":"2026-11-23T16:00:00Z","unit":"zo';
  // Spaces after the value (JSON allows them) put the next line's é across the middle.
  const spaces = ' '.repeat(8 * MIB - 1 - prefix.length - size - event.length - 2);
  const before = { line: add(event, spaces, [0xe9]), column: event.length + spaces.length + 1 };
  add(prefix, '\u00e9","cohort":"lightrag","backend":"lightrag","success":true}');
  expect(Buffer.concat(parts).subarray(8 * MIB - 1, 8 * MIB + 1)).toEqual(Buffer.from('\u00e9'));
  const after = { line: add([0xe9], filler()), column: 1 };
  // JSON but for its Latin-1 name: read leniently, it was the user "jos\uFFFD" without a word.
  const latin1 = '{"time":"2026-11-23T16:00:00Z","unit":"jos';
  const name = {
    line: add(latin1, [0xe9], '","cohort":"lightrag","backend":"lightrag","success":true}'),
    column: latin1.length + 1,
  };
  while (16 * MIB - size > 400) add(filler());
  add(' '.repeat(16 * MIB - size - 1));
  const bytes = Buffer.concat(parts);
  expect(bytes.length).toBe(16 * MIB);
  return { bytes, bad: [before, after, name] };
}

describe('an event log line that is not UTF-8', () => {
  it('is a malformed line at its file:line naming the column of its first bad byte, beside and at an 8 MiB chunk boundary, by one thread or two; a character across the boundary is whole', async () => {
    const { dir } = await tempConfigDir();
    const file = join(dir, 'events.jsonl');
    const { bytes, bad } = eventLog();
    await writeFile(file, bytes);
    const expected = bad.map(({ line, column }) => ({
      file,
      line,
      problem: `not UTF-8 at column ${column} (byte ${column} of the line)`,
    }));
    const one = await built.readEventFiles([file], { threads: 1 });
    const two = await built.readEventFiles([file], { threads: 2, parallelMinBytes: 0 });
    for (const read of [one, two]) {
      expect(read.examples).toEqual(expected);
      expect(read.malformed).toBe(3);
    }
    expect(two.lines).toBe(one.lines);
    // The user whose name straddles the boundary is one user, read whole, by both readers.
    expect(two.accumulator.usersTallied).toBe(one.accumulator.usersTallied);
  });
});

describe('a --stats file that is not UTF-8', () => {
  it('is INVALID_DATA at its file:line:column, not read with U+FFFD', async () => {
    const { dir } = await tempConfigDir();
    const file = join(dir, 'stats.json');
    // Valid JSON but for one Latin-1 byte inside a string.
    await writeFile(
      file,
      Buffer.concat([Buffer.from('{\n  "unit": "us'), Buffer.from([0xe9]), Buffer.from('r"\n}\n')]),
    );
    await expect(statsFileSource(file).read('user')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: `${file}:2:14: not UTF-8 (byte 16 of the file); save it as UTF-8`,
    });
  });
});
