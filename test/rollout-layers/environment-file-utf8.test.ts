import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/issues.js';
import { readRuntimeState, writeRuntimeState } from '../../src/rollout-layers/environment-file.js';
import { tempConfigDir } from '../helpers/config-dir.js';

describe('an environment file whose bytes are not UTF-8', () => {
  it('is refused by a rollout command as a load refuses it, not rewritten with U+FFFD in place of its bytes', async () => {
    const { dir } = await tempConfigDir({ 'environments/production.yaml': '' });
    const file = join(dir, 'environments', 'production.yaml');
    // A comment in Latin-1: read leniently, an edit wrote it back as "caf\uFFFD".
    const bytes = Buffer.from('# caf\u00e9\nrollout_percentage: 10\n', 'latin1');
    await writeFile(file, bytes);
    const runtime = {
      percentage: 20,
      setBy: 'operator',
      reason: 'ramp',
      at: '2026-12-07T12:00:00Z',
    } as const;
    for (const attempt of [
      () => writeRuntimeState(file, { runtime }, 'environments/production.yaml'),
      () => readRuntimeState(file, 'environments/production.yaml'),
    ]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues).toMatchObject([
        { code: 'INVALID_ENCODING', file: 'environments/production.yaml', line: 1, column: 6 },
      ]);
    }
    expect(await readFile(file)).toEqual(bytes);
  });
});
