import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { onTestEnd } from '../helpers/cleanup.js';
import { REPO_DIR } from '../helpers/config-dir.js';

const PAGE_DIR = join(REPO_DIR, 'src', 'dashboard', 'page');
const TSC = join(REPO_DIR, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * The page's sources copied to a temporary directory, with `edit` applied to the view model,
 * compiled there with the page's own compiler options; the compiler's exit code and words.
 */
async function compilePage(edit: (viewModel: string) => string) {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-page-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  await cp(PAGE_DIR, dir, { recursive: true });
  const viewModel = join(dir, 'view-model.ts');
  await writeFile(viewModel, edit(await readFile(viewModel, 'utf8')));
  const root = JSON.parse(await readFile(join(REPO_DIR, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  const page = JSON.parse(await readFile(join(PAGE_DIR, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...root.compilerOptions,
        ...page.compilerOptions,
        noEmit: true,
        outDir: undefined,
        paths: { uplot: [join(REPO_DIR, 'node_modules', 'uplot', 'dist', 'uPlot.d.ts')] },
      },
      include: ['*.ts'],
    }),
  );
  return promisify(execFile)(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')]).then(
    (done) => ({ code: 0, output: done.stdout + done.stderr }),
    (failed: { code: number; stdout: string; stderr: string }) => ({
      code: failed.code,
      output: failed.stdout + failed.stderr,
    }),
  );
}

describe('the view model is one typed contract between the server and the page', () => {
  it('the page compiles against it as it is', async () => {
    const compiled = await compilePage((text) => text);
    expect(compiled).toEqual({ code: 0, output: '' });
  }, 120_000);

  it('a field renamed in the view model fails the type check of the page', async () => {
    const compiled = await compilePage((text) => {
      expect(text).toContain('  holdLeft: string;');
      return text.replace('  holdLeft: string;', '  holdRemaining: string;');
    });
    expect(compiled.code).not.toBe(0);
    expect(compiled.output).toMatch(
      /panels\.ts\(\d+,\d+\): error TS2339: Property 'holdLeft' does not exist/,
    );
  }, 120_000);
});
