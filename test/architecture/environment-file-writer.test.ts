import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SRC_DIR, sourceFiles } from '../helpers/source-imports.js';

/** A call that writes, renames or copies a file, or opens one for writing. */
const WRITES =
  /\b(writeFile|writeFileSync|appendFile|rename|copyFile|cp|cpSync|link|createWriteStream)\(|\bopen(Sync)?\([^,()]*,\s*'[wa]/;

/**
 * Every file of `src/` that writes files, and what it writes. Only one may write an
 * environment file; the others write elsewhere or create a configuration of their own.
 */
const WRITERS: Record<string, string> = {
  'rollout-layers/environment-file.ts':
    'the environment file: the one writer (runtime layer, kill switch)',
  'rollout-layers/file-lock.ts': "the environment file's write lock, beside it (never the file)",
  'rollout-plan/generation-files.ts': "the plan's state and lease generations in state/",
  'rollout-plan/file-lease.ts': 'lease generations and heartbeats in state/',
  'rollout-plan/file-plan-store.ts': 'queued commands and their outcomes in state/',
  'event-log/log-file-system.ts':
    'the event logs (outcomes), files of their own in their directory',
  'cli/commands/experiment.ts': 'the report file a person asked for (--out)',
  'config/generate-validators.ts': 'the generated validators, at build time',
  'demo/demo.ts': "a temporary configuration of the demo's own (copied, never edited)",
  'rollout-plan/rollout-simulation.ts':
    'a temporary copy of the configuration (never the original)',
};

describe('the environment file has one writer', () => {
  it('only the files listed here write files, and only src/rollout-layers edits an environment file', () => {
    const writers = sourceFiles()
      .filter((file) => WRITES.test(readFileSync(join(SRC_DIR, file), 'utf8')))
      .sort();
    expect(writers).toEqual(Object.keys(WRITERS).sort());
  });

  it('nothing outside src/rollout-layers/environment-file.ts edits a YAML document', () => {
    const editors = sourceFiles().filter((file) =>
      /\bdocument\.(set|delete|setIn|deleteIn)\(/.test(readFileSync(join(SRC_DIR, file), 'utf8')),
    );
    expect(editors).toEqual(['rollout-layers/environment-file.ts']);
  });

  it('finds a writer when there is one', () => {
    expect(WRITES.test("await writeFile(join(dir, 'environments', 'x.yaml'), text);")).toBe(true);
    expect(WRITES.test('const text = await readFile(path);')).toBe(false);
    expect(WRITES.test("const handle = await open(path, 'ax');")).toBe(true);
    expect(WRITES.test("const handle = await open(path, 'r');")).toBe(false);
  });
});
