import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectory } from '../src/make-directory.js';

describe('makeDirectory', () => {
  it('creates a directory and its missing parents, and takes one that exists', async () => {
    const root = await mkdtemp(join(tmpdir(), 'make-directory-'));
    const deep = join(root, 'a', 'b', 'c');
    await makeDirectory(deep);
    expect((await stat(deep)).isDirectory()).toBe(true);
    await makeDirectory(deep);
    await makeDirectory(root);
  });

  it('refuses a file where the directory or a parent should be', async () => {
    const root = await mkdtemp(join(tmpdir(), 'make-directory-'));
    const file = join(root, 'file');
    await writeFile(file, '');
    await expect(makeDirectory(file)).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(makeDirectory(join(file, 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('fails under /proc, where a parent exists but cannot hold it (Node spins there for ever)', async () => {
    await expect(makeDirectory('/proc/flagroute-none/events')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
