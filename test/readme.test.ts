import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onTestEnd } from './helpers/cleanup.js';
import { REPO_DIR } from './helpers/config-dir.js';
import { freePort } from './helpers/free-port.js';

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

/** The README's command-line tour: its lines, continuation lines joined, comments removed. */
async function tourLines(): Promise<string[]> {
  const readme = await readFile(join(REPO_DIR, 'README.md'), 'utf8');
  const tour = /Command line \(`npx flagroute[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(tour).toBeDefined();
  return tour!
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s{2,}#.*$/, '').trim())
    .filter((line) => line !== '');
}

/**
 * A fresh clone of the working tree: the files git tracks or would track, copied to a temp dir
 * and committed there, with the built CLI's dependencies reachable through a node_modules link.
 */
async function freshClone(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-tour-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  const listed = spawnSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: REPO_DIR,
      encoding: 'utf8',
    },
  );
  expect(listed.status).toBe(0);
  for (const file of listed.stdout.split('\0').filter((name) => name !== '')) {
    // Deleted in the working tree, or a link to the installed packages (linked below).
    if (!existsSync(join(REPO_DIR, file)) || /^(node_modules|dist)(\/|$)/.test(file)) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await cp(join(REPO_DIR, file), join(dir, file));
  }
  const git = (...args: string[]) =>
    expect(
      spawnSync('git', ['-c', 'user.name=tour', '-c', 'user.email=tour@example.org', ...args], {
        cwd: dir,
      }).status,
    ).toBe(0);
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'fresh clone');
  return dir;
}

interface Job {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts one line in bash, in its own process group, collecting its output. */
function startLine(line: string, cwd: string): Job {
  const child = spawn('bash', ['-c', line], { cwd, detached: true, env: tourEnv() });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  // A line that fails ends the test before the tour's own `kill %1`: its server goes too.
  onTestEnd(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // The group has gone already.
    }
    await exited;
  });
  return { child, output: () => output, exited };
}

function tourEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('LIGHTRAG_') || key.startsWith('FLAGROUTE_')) delete env[key];
  }
  return env;
}

/** Polls until `done` holds, for at most 60 s. */
async function until(done: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('README tour', () => {
  it('every command line works in order from a fresh clone, which git then shows clean but for the tour edits', async () => {
    const dir = await freshClone();
    await symlink(join(REPO_DIR, 'node_modules'), join(dir, 'node_modules'));
    await symlink(join(REPO_DIR, 'dist'), join(dir, 'dist'));
    // Links stand for the directories npm ci and the build make there; .gitignore names those
    // as directories (node_modules/, dist/), which a link is not.
    await writeFile(join(dir, '.git', 'info', 'exclude'), 'node_modules\ndist\n');
    const port = String(await freePort());
    const lines = await tourLines();
    expect(lines.length).toBeGreaterThan(20);
    let background: Job | undefined;
    const outputs: string[] = [];
    for (const written of lines) {
      // The built CLI (npx would find the same one in a clone), on a port free for this test.
      const line = written
        .replaceAll('npx flagroute ', `node ${join('dist', 'cli', 'main.js')} `)
        .replaceAll('8016', port);
      if (line === 'kill %1') {
        expect(background, 'a job to stop').toBeDefined();
        const job = background!;
        process.kill(-job.child.pid!, 'SIGINT');
        expect(await job.exited, `${job.output()}`).toBe(0);
        outputs.push(job.output());
        background = undefined;
        continue;
      }
      if (line.endsWith('&')) {
        expect(background, 'one background job at a time').toBeUndefined();
        const job = startLine(line.slice(0, -1), dir);
        background = job;
        await until(
          () =>
            /^(listening on|watching) |rollout controller of \w+ running/m.test(job.output()) ||
            job.child.exitCode !== null,
          () => `${written} to start: ${job.output()}`,
        );
        expect(job.child.exitCode, `${written}: ${job.output()}`).toBeNull();
        continue;
      }
      const job = startLine(line, dir);
      const code = await job.exited;
      expect(code, `${written}\n${job.output()}`).toBe(0);
      outputs.push(job.output());
      // The watcher shows the rollout edits (one reload each, or fewer when a loaded machine
      // lets two edits fall into one reload) before it is stopped.
      if (written.startsWith('npx flagroute rollout resume') && background) {
        const watcher = background;
        await until(
          () => / ok [0-9a-f]{12} -> [0-9a-f]{12}: .*runtime/.test(watcher.output()),
          () => `a reload of the rollout edits in the watch output: ${watcher.output()}`,
        );
      }
    }
    expect(background).toBeUndefined();
    const all = outputs.join('\n');
    expect(all).toContain('experiment: LightRAG (treatment) vs Perplexity (baseline)');
    expect(all).toMatch(/"recorded":16/);
    expect(all).toMatch(/circuit breaker of http:\/\/127\.0\.0\.1:\d+ reset: closed/);
    // events/ and state/ were written, and git ignores them: only the tour's edit shows.
    expect(existsSync(join(dir, 'events'))).toBe(true);
    expect(existsSync(join(dir, 'state'))).toBe(true);
    const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(status.stdout.split('\n').filter((entry) => entry !== '')).toEqual([
      ' M environments/production.yaml',
    ]);
  }, 240_000);
});
