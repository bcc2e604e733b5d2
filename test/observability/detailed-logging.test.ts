import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';

const CHILD = `
import { createRouter } from ${JSON.stringify(join(REPO_DIR, 'dist', 'index.js'))};
const router = await createRouter({ configDir: process.argv[1], environment: 'development', env: {}, watch: false });
const count = Number(process.argv[2]);
for (let i = 0; i < count; i += 1) await router.decide({ userId: 'user-' + i, region: 'us_east', queryText: 'private question ' + i });
// No close, no wait: the batched lines must still all be out.
process.exit(0);
`;

describe('detailed logging', () => {
  it('writes every decision line, in order, when the process exits right after deciding', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 50\nenable_detailed_logging: true\nlog_level: debug\nuser_hash_salt: salt-that-must-not-leak\n',
    });
    const count = 5000;
    const child = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      CHILD,
      temp.dir,
      String(count),
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // 'close' comes after the process exited and its output streams ended.
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    const lines = stderr
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            msg: string;
            decision?: Record<string, unknown>;
            queryText?: string;
          },
      );
    const decisions = lines.filter((line) => line.msg === 'decision');
    expect(decisions).toHaveLength(count);
    expect(stderr).not.toContain('private question');
    expect(stderr).not.toContain('salt-that-must-not-leak');
    expect(decisions.map((line) => line.decision?.userId)).toEqual(
      Array.from({ length: count }, (_, i) => `user-${i}`),
    );
  });
});

const STALLED = `
import { createRouter, droppedLogLines } from ${JSON.stringify(join(REPO_DIR, 'dist', 'index.js'))};
const router = await createRouter({ configDir: process.argv[1], environment: 'development', env: {}, watch: false });
const count = Number(process.argv[2]);
const long = 'u'.repeat(200);
for (let i = 0; i < count; i += 1) await router.decide({ userId: long + i, region: 'us_east' });
process.stdout.write(JSON.stringify({ dropped: droppedLogLines() }) + '\\n');
// Exit once the test reads stderr again.
process.stdin.once('data', () => process.exit(0));
`;

describe('detailed logging to a reader that stops reading', () => {
  it('never holds decisions: lines past the bound are dropped, counted and reported', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml':
        'rollout_percentage: 50\nenable_detailed_logging: true\nlog_level: debug\n',
    });
    // About 450 characters a line: 8 Mi characters are about 19,000 lines.
    const count = 40_000;
    const child = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      STALLED,
      temp.dir,
      String(count),
    ]);
    // Nobody reads stderr until the child has made every decision.
    child.stderr.pause();
    const reported = await new Promise<{ dropped: number }>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.endsWith('\n')) resolve(JSON.parse(stdout));
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before deciding`)));
    });
    expect(reported.dropped).toBeGreaterThan(0);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stderr.resume();
    child.stdin.write('go\n');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    const lines = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const decisions = lines.filter((line) => line.msg === 'decision').length;
    const warnings = lines.filter((line) => typeof line.droppedLines === 'number');
    // Every decision is either written or counted as dropped, and the drops are said.
    expect(decisions + reported.dropped).toBe(count);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.at(-1)!.droppedLinesTotal).toBe(reported.dropped);
    expect(warnings.at(-1)!.level).toBe(40);
  });
});
