import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/config-dir.js';
import { CLI } from '../helpers/run-cli.js';

describe('flagroute demo', () => {
  it('prints the dashboard URL, narrates the plan from its shadow stage to stage 3, and on Ctrl-C stops leaving nothing behind', async () => {
    const environment = readFileSync(join(REPO_DIR, 'environments', 'production.yaml'), 'utf8');
    const child = spawn(process.execPath, [CLI, 'demo', '--qps', '80'], {
      cwd: REPO_DIR,
      env: { ...process.env, FLAGROUTE_ADMIN_TOKEN: '' },
    });
    let output = '';
    const waiters = new Set<() => void>();
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const waiter of waiters) waiter();
    });
    const seen = (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (!match) return;
          waiters.delete(check);
          resolve(match);
        };
        waiters.add(check);
        child.once('exit', () =>
          reject(new Error(`the demo exited before printing ${pattern}:\n${output}`)),
        );
        check();
      });
    const url = (await seen(/the dashboard is at (http:\/\/127\.0\.0\.1:\d+\/dashboard)/))[1]!;
    const tokenFile = (await seen(/the token is in (\S+) \(removed/))[1]!;
    expect(readFileSync(tokenFile, 'utf8').trim()).toMatch(/^[\w-]{20,}$/);
    expect(output).not.toContain(readFileSync(tokenFile, 'utf8').trim());
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>flagroute dashboard</title>');
    // It starts in the shadow: no user on LightRAG, the pairs judged on the same queries.
    await seen(/\[plan\] start: demo \(healthy\); stage 1 \(shadow\): no user on LightRAG/);
    await seen(
      /\[shadow\] \d+ pairs from \d+ users, LightRAG against Perplexity on the same queries: success_rate .*quality_score paired difference/,
    );
    await seen(
      /\[plan\] advance: stage 1 \(shadow\) passed its checks; now 10 % .*\(the shadow is off\)/,
    );
    // Then the stage after it (30 %): its looks and the start never trip each other (they
    // once did under load: a look read the state while the start wrote it).
    await seen(/\[plan\] advance: stage 2 passed its checks; now 30 %/);
    expect(output).not.toMatch(/\[plan\] (pause|rollback)/);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/\[demo\] stopping/);
    expect(existsSync(dirname(tokenFile))).toBe(false);
    expect(readFileSync(join(REPO_DIR, 'environments', 'production.yaml'), 'utf8')).toBe(
      environment,
    );
    expect(existsSync(join(REPO_DIR, 'environments', 'demo.yaml'))).toBe(false);
  }, 60_000);

  it('cleans up too when its reader went away first (flagroute demo | head)', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--qps', '40'], { cwd: REPO_DIR });
    let output = '';
    const tokenFile = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /the token is in (\S+) \(removed/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', () => reject(new Error(`the demo exited early:\n${output}`)));
    });
    child.stdout.destroy();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(dirname(tokenFile))).toBe(false);
  });
});
