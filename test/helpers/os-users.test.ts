import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onTestEnd } from './cleanup.js';
import { makeReadOnly, runningAsRoot, spawnUnprivileged } from './os-users.js';
import { CLI, finished } from './run-cli.js';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-os-users-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('spawnUnprivileged', () => {
  it('runs a process that the file system refuses to write for, where root writes through 0444', async () => {
    const dir = await tempDir();
    const config = join(dir, 'config');
    await mkdir(config);
    await writeFile(join(config, 'production.yaml'), 'rollout_percentage: 10\n');
    await makeReadOnly(config);
    // The temp dir itself stays 0700 and root's: reading through it is allowed, writing is not.

    if (runningAsRoot) {
      // Why the fleet test needs another user: root's write goes through mode 0444.
      await writeFile(join(config, 'production.yaml'), 'rollout_percentage: 10\n');
    }

    const script = `
      const fs = require('node:fs');
      const file = ${JSON.stringify(join(config, 'production.yaml'))};
      const tryIt = (fn) => { try { fn(); return 'ok'; } catch (error) { return error.code; } };
      console.log(JSON.stringify({
        uid: process.getuid(),
        gid: process.getgid(),
        read: fs.readFileSync(file, 'utf8'),
        write: tryIt(() => fs.writeFileSync(file, 'rollout_percentage: 100\\n')),
        create: tryIt(() => fs.writeFileSync(${JSON.stringify(join(config, 'new.yaml'))}, '')),
      }));`;
    const { code, output } = await finished(
      spawnUnprivileged(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    expect(code, output).toBe(0);
    const seen = JSON.parse(output) as Record<string, unknown>;
    expect(seen.uid).not.toBe(0);
    expect(seen.gid).not.toBe(0);
    expect(seen).toMatchObject({
      read: 'rollout_percentage: 10\n',
      write: 'EACCES',
      create: 'EACCES',
    });
  });

  it('can run the built flagroute CLI', async () => {
    const { code, output } = await finished(
      spawnUnprivileged(process.execPath, [CLI, '--version'], {
        cwd: tmpdir(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(code, output).toBe(0);
    expect(output.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
