import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_DIR } from './config-dir.js';

/** The source tree whose imports are read. */
export const SRC_DIR = join(REPO_DIR, 'src');

/** One relative import of a source file: who imports, and the file it names (`.ts`). */
export interface SourceImport {
  /** The importing file, relative to `src/`. */
  from: string;
  /** The imported file, relative to `src/`. */
  to: string;
}

/** Every `.ts` file under `src/`, relative to it. */
export function sourceFiles(dir = SRC_DIR): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) files.push(relative(SRC_DIR, path));
  }
  return files;
}

// Static imports and re-exports (`import ... from`, `export ... from`, bare `import '...'`) and
// dynamic `import('...')`, type-only ones included: a type import ties folders together too.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every relative import in `src/`. */
export function sourceImports(): SourceImport[] {
  const imports: SourceImport[] = [];
  for (const from of sourceFiles()) {
    const text = readFileSync(join(SRC_DIR, from), 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const target = resolve(dirname(join(SRC_DIR, from)), match[1]!).replace(/\.js$/, '.ts');
      imports.push({ from, to: relative(SRC_DIR, target) });
    }
  }
  return imports;
}

/** The folder of a source file (`router/router.ts` -> `router`); a top-level file is its own. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length === 1 ? parts[0]!.replace(/\.ts$/, '') : parts[0]!;
}
