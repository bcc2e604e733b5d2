import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonFile } from '../../src/rollout-plan/generation-files.js';
import { tempConfigDir } from '../helpers/config-dir.js';

describe("a plan's state file that is not UTF-8", () => {
  it('is unreadable, naming the first bad byte, not read with U+FFFD', async () => {
    const { dir } = await tempConfigDir();
    const file = join(dir, 'state.json');
    await writeFile(
      file,
      Buffer.concat([Buffer.from('{"reason":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    );
    const read = await readJsonFile(file, (value): value is unknown => typeof value === 'object');
    expect(read).toEqual({
      kind: 'unreadable',
      why: 'is not UTF-8 at line 1, column 15 (byte 15 of the file)',
    });
  });
});
