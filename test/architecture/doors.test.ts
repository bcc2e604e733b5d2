import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/config-dir.js';
import { folderOf, type SourceImport, SRC_DIR, sourceImports } from '../helpers/source-imports.js';

/** Whether an import names a door: a folder's `index.ts`, or a top-level file (a one-file concept). */
function isDoor(file: string): boolean {
  const parts = file.split('/');
  return parts.length === 1 || (parts.length === 2 && parts[1] === 'index.ts');
}

const leaving = (from: string) => (each: SourceImport) =>
  each.from.startsWith(from) && folderOf(each.to) !== folderOf(each.from);

describe('doors', () => {
  it('every folder of src/ has an index.ts', () => {
    const folders = readdirSync(SRC_DIR, { withFileTypes: true }).filter((entry) =>
      entry.isDirectory(),
    );
    expect(folders.length).toBeGreaterThan(10);
    const without = folders.filter((folder) => !existsSync(join(SRC_DIR, folder.name, 'index.ts')));
    expect(without.map((folder) => folder.name)).toEqual([]);
  });

  it('the CLI and the package root import doors only', () => {
    const imports = sourceImports();
    const cli = imports.filter(leaving('cli/'));
    expect(cli.length).toBeGreaterThan(10);
    expect(cli.filter((each) => !isDoor(each.to))).toEqual([]);
    const root = imports.filter((each) => each.from === 'index.ts');
    expect(root.filter((each) => !isDoor(each.to))).toEqual([]);
  });

  it('importing the package root loads neither fastify nor a schema compiler', async () => {
    // The built package, as a user imports it; every CommonJS module it loads is in the cache.
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(join(REPO_DIR, 'dist', 'index.js'))});
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      script,
    ]);
    const loaded = (JSON.parse(stdout) as string[]).map((path) => path.replaceAll('\\', '/'));
    expect(loaded.some((path) => path.includes('/node_modules/pino/'))).toBe(true);
    expect(loaded.filter((path) => path.includes('/node_modules/fastify/'))).toEqual([]);
    // Generated validators need only Ajv's small run-time helpers, never its compiler.
    const ajv = loaded.filter((path) => path.includes('/node_modules/ajv/'));
    expect(ajv.filter((path) => !path.includes('/node_modules/ajv/dist/runtime/'))).toEqual([]);
  });
});
