import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_DIR } from './config-dir.js';

/** The built CLI (`npm test` builds it before the suite runs). */
export const CLI = join(REPO_DIR, 'dist', 'cli', 'main.js');

/** Runs the real `flagroute` binary and collects its output. */
export function runCli(
  args: string[],
  options: { cwd?: string; input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    for (const key of Object.keys(env)) {
      if (
        (key.startsWith('LIGHTRAG_') || key === 'FLAGROUTE_ENV' || key === 'FLAGROUTE_STORE') &&
        !(options.env && key in options.env)
      )
        delete env[key];
    }
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_DIR, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Waits for a spawned process to end; its exit code and its stdout and stderr together. */
export function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}
