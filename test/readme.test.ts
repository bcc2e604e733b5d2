import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from './helpers/config-dir.js';

describe('README', () => {
  it('library sample runs as written against the built package', async () => {
    const readme = await readFile(join(REPO_DIR, 'README.md'), 'utf8');
    const sample = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(sample).toContain("from 'flagroute'");
    // Inside the repository, 'flagroute' resolves to this package itself (package.json exports).
    const file = join(REPO_DIR, `.readme-sample-${process.pid}.mjs`);
    await writeFile(file, sample!);
    try {
      const run = spawnSync(process.execPath, [file], {
        cwd: REPO_DIR,
        encoding: 'utf8',
        env: { ...process.env, LIGHTRAG_LOG_LEVEL: 'silent' },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('circuit_breaker');
    } finally {
      await rm(file, { force: true });
    }
  });
});
