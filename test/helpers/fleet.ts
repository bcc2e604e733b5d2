import type { ChildProcess } from 'node:child_process';
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestEnd } from './cleanup.js';
import { REPO_DIR } from './config-dir.js';
import { makeReadOnly, spawnUnprivileged } from './os-users.js';
import { CLI, finished } from './run-cli.js';

/** How long a condition of real processes may take to come true on a loaded machine. */
export const DEADLINE_MS = 60_000;
/** The fleet tests' environment: rollout_percentage 50 in the file. */
export const ENVIRONMENT = 'staging';

/** Polls `look` until it gives a value, with a deadline; `what` says what was awaited. */
export async function until<T>(look: () => Promise<T | undefined>, what: () => string): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  let failure: unknown;
  for (;;) {
    const found = await look().catch((error: unknown) => {
      failure = error;
      return undefined;
    });
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const last = failure === undefined ? '' : `; the last look failed: ${String(failure)}`;
      throw new Error(`timed out waiting for ${what()}${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A read-only copy of the repository's configuration, with `files` (path -> text) written over
 * it first: what a ConfigMap mount looks like.
 */
export async function readOnlyConfig(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-fleet-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'config');
  for (const part of ['environments', 'rules']) {
    await cp(join(REPO_DIR, part), join(config, part), { recursive: true });
  }
  for (const [path, text] of Object.entries(files)) await writeFile(join(config, path), text);
  await makeReadOnly(config);
  return config;
}

/** A new directory every user may write (the unprivileged processes' shared event log). */
export async function sharedWritableDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-fleet-shared-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o777);
  return dir;
}

/** Only what the processes need: no FLAGROUTE_* or LIGHTRAG_* of the test's own environment. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('FLAGROUTE_') && !key.startsWith('LIGHTRAG_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** A flagroute process of a fleet test, run as the unprivileged user. */
export interface FleetProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<unknown>;
}

/** A `flagroute serve` process of a fleet test. */
export interface Instance extends FleetProcess {
  url: string;
}

/**
 * `flagroute <args>` as the unprivileged user with `env` (and no FLAGROUTE_* or LIGHTRAG_* of
 * the test's own); killed when the test ends.
 */
export function startFleetProcess(args: string[], env: Record<string, string>): FleetProcess {
  const child = spawnUnprivileged(process.execPath, [CLI, ...args], {
    cwd: tmpdir(),
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  onTestEnd(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, output: () => output, exited };
}

/**
 * `flagroute serve --store` as an unprivileged user on its own read-only configuration (with
 * `files` written over the repository's), with `args` added and `env` in its environment;
 * resolves once it listens.
 */
export async function serveInstance(
  store: string,
  options: { args?: string[]; env?: Record<string, string>; files?: Record<string, string> } = {},
): Promise<Instance> {
  const config = await readOnlyConfig(options.files);
  const started = startFleetProcess(
    ['serve', '--port', '0', '--config-dir', config, '--env', ENVIRONMENT, ...(options.args ?? [])],
    { FLAGROUTE_STORE: store, ...options.env },
  );
  const url = await until(
    async () => /listening on (http:\/\/\S+)/.exec(started.output())?.[1],
    () => `flagroute serve to listen; it said:\n${started.output()}`,
  );
  return { ...started, url };
}

/** What the fleet tests read of `/v1/status`. */
export interface Status {
  rolloutPercentage: number;
  configVersion: string;
  rolloutLayers: { killSwitch: { engaged: boolean } };
}

/** One instance's `/v1/status`, as the fleet tests read it. */
export async function fetchStatus(instance: Instance): Promise<Status> {
  const response = await fetch(`${instance.url}/v1/status`);
  return (await response.json()) as Status;
}

/**
 * Polls every instance's `/v1/status` until `reached` holds for each of them, with the deadline
 * of {@link until}; `what` finishes "every instance to ..." (a function: read when the deadline
 * passes, to say what the processes said by then). Resolves with their statuses.
 */
export function untilEvery(
  instances: readonly Instance[],
  reached: (status: Status) => boolean,
  what: string | (() => string),
): Promise<Status[]> {
  return until(
    async () => {
      const seen = await Promise.all(instances.map(fetchStatus));
      return seen.every(reached) ? seen : undefined;
    },
    () => `every instance to ${typeof what === 'string' ? what : what()}`,
  );
}

/**
 * Runs a CLI command as the unprivileged user, with `--env` and `--store`; with `config`, on
 * its own read-only copy of the configuration (`--config-dir`, with `files` written over it).
 */
export async function cli(
  args: string[],
  store: string,
  { config = true, files = {} }: { config?: boolean; files?: Record<string, string> } = {},
) {
  const configArgs = [
    ...(config ? ['--config-dir', await readOnlyConfig(files)] : []),
    '--env',
    ENVIRONMENT,
  ];
  return finished(
    spawnUnprivileged(process.execPath, [CLI, ...args, ...configArgs, '--store', store], {
      cwd: tmpdir(),
      env: cleanEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}
