import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { type TempConfigDir, tempConfigDir } from '../helpers/config-dir.js';
import { CLI } from '../helpers/run-cli.js';

let temp: TempConfigDir | undefined;

describe('flagroute watch', () => {
  it('prints one line per reload: ok with the changed keys, or the errors', async () => {
    temp = await tempConfigDir({ 'environments/development.yaml': 'rollout_percentage: 0\n' });
    const child = spawn(process.execPath, [CLI, 'watch', '--config-dir', '.'], { cwd: temp.dir });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => String((await lines.next()).value);
    try {
      expect(await next()).toMatch(
        /^watching \. for environment development \(config [0-9a-f]{12}\); Ctrl-C to stop$/,
      );
      await writeFile(join(temp.dir, 'environments/development.yaml'), 'rollout_percentage: 25\n');
      // Written in place, not renamed: a warning (once per file) as well as the reload.
      const [warning, ok] = [await next(), await next()].sort(
        (a, b) => Number(a.includes(' ok ')) - Number(b.includes(' ok ')),
      );
      expect(warning).toMatch(
        / warning: environments\/development\.yaml was written in place, not renamed: a writer that pauses between lines can be read half-written; save atomically \(a temporary file renamed over it\)$/,
      );
      expect(ok).toMatch(/ ok [0-9a-f]{12} -> [0-9a-f]{12}: rollout_percentage: 0 -> 25$/);
      await writeFile(join(temp.dir, 'environments/development.yaml'), 'rollout_percentage: 250\n');
      expect(await next()).toMatch(/ rejected \(still serving [0-9a-f]{12}\):$/);
      expect(await next()).toBe(
        '  environments/development.yaml:1:21: rollout_percentage must be a number from 0 to 100, got 250',
      );
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });
});
