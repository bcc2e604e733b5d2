import { type ChildProcess, spawn } from 'node:child_process';
import { onTestEnd } from './cleanup.js';
import { REPO_DIR } from './config-dir.js';
import { CLI } from './run-cli.js';

/** A running `flagroute` process: its output so far, its exit, and how to stop it. */
export interface CliProcess {
  child: ChildProcess;
  /** Everything it wrote, stdout and stderr interleaved as they came. */
  output(): string;
  /** The JSON log lines it wrote (stderr), parsed. */
  logs(): Record<string, unknown>[];
  exited: Promise<number | null>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built `flagroute` with `args`; killed when the test ends if still running. */
export function startCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): CliProcess {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('LIGHTRAG_') || key.startsWith('FLAGROUTE_')) delete env[key];
  }
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_DIR, env });
  let output = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    errors += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  onTestEnd(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return {
    child,
    output: () => output,
    logs: () =>
      errors
        .split('\n')
        .slice(0, -1)
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * Polls `check` every 50 ms until it returns a value other than undefined or false, and
 * returns it; fails after `deadlineMs` naming `what` (a condition with a deadline, never a
 * duration to sleep).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  deadlineMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
