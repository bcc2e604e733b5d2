import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/config-dir.js';
import { finished } from '../helpers/run-cli.js';

/** Imports the built package in a fresh process, optionally opens the door to PostgreSQL, and lists the node-postgres modules loaded. */
async function loadedPgModules(openPostgres: boolean): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    const flagroute = await import(${JSON.stringify(join(REPO_DIR, 'dist', 'index.js'))});
    if (typeof flagroute.migrateStore !== 'function') throw new Error('migrateStore is not exported');
    if (${openPostgres}) {
      const { loadNodePostgres } = await import(${JSON.stringify(join(REPO_DIR, 'dist', 'postgres', 'connection.js'))});
      await loadNodePostgres();
    }
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(loaded.filter((path) => /node_modules[\\\\/]pg[\\\\/]/.test(path))));`;
  const { code, output } = await finished(
    spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  expect(code, output).toBe(0);
  return JSON.parse(output) as string[];
}

describe('node-postgres', () => {
  it('is not loaded by importing flagroute', async () => {
    expect(await loadedPgModules(false)).toEqual([]);
  });

  it('is loaded on first use of the PostgreSQL store (so the check above can see it)', async () => {
    expect(await loadedPgModules(true)).toContainEqual(
      expect.stringMatching(/pg[\\/]lib[\\/]index\.js$/),
    );
  });

  it("is named by none of the package root's type declarations (users need no @types/pg)", () => {
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/from\s+['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/g)) {
        const specifier = (match[1] ?? match[2])!;
        if (specifier.startsWith('.'))
          visit(resolve(dirname(file), specifier.replace(/\.js$/, '.d.ts')));
        else external.add(specifier);
      }
    };
    visit(join(REPO_DIR, 'dist', 'index.d.ts'));
    expect(seen).toContain(join(REPO_DIR, 'dist', 'postgres', 'migrate-schema.d.ts'));
    expect([...external].filter((name) => name === 'pg' || name.startsWith('pg/'))).toEqual([]);
  });
});
