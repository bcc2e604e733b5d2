import type { ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { onTestEnd } from '../helpers/cleanup.js';
import { REPO_DIR } from '../helpers/config-dir.js';
import { makeReadOnly, spawnUnprivileged } from '../helpers/os-users.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';
import { CLI, finished } from '../helpers/run-cli.js';

/** How long a condition of real processes may take to come true on a loaded machine. */
const DEADLINE_MS = 60_000;
const ENVIRONMENT = 'staging'; // rollout_percentage 50 in the file

async function until<T>(look: () => Promise<T | undefined>, what: () => string): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const found = await look().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A read-only copy of the repository's configuration: what a ConfigMap mount looks like. */
async function readOnlyConfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-fleet-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'config');
  for (const part of ['environments', 'rules']) {
    await cp(join(REPO_DIR, part), join(config, part), { recursive: true });
  }
  await makeReadOnly(config);
  return config;
}

/** Only what the processes need: no FLAGROUTE_* or LIGHTRAG_* of the test's own environment. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('FLAGROUTE_') && !key.startsWith('LIGHTRAG_')) env[key] = value;
  }
  return { ...env, ...extra };
}

interface Instance {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** `flagroute serve --store` as an unprivileged user on its own read-only configuration. */
async function serveInstance(store: string): Promise<Instance> {
  const config = await readOnlyConfig();
  const child = spawnUnprivileged(
    process.execPath,
    [CLI, 'serve', '--port', '0', '--config-dir', config, '--env', ENVIRONMENT],
    { cwd: tmpdir(), env: cleanEnv({ FLAGROUTE_STORE: store }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
  const url = await until(
    async () => /listening on (http:\/\/\S+)/.exec(output)?.[1],
    () => `flagroute serve to listen; it said:\n${output}`,
  );
  return { child, url, output: () => output };
}

interface Status {
  rolloutPercentage: number;
  rolloutLayers: { killSwitch: { engaged: boolean } };
}

async function statusOf(instance: Instance): Promise<Status> {
  const response = await fetch(`${instance.url}/v1/status`);
  return (await response.json()) as Status;
}

/** Runs a CLI command as the unprivileged user, on its own read-only copy of the config. */
async function cli(args: string[], store: string) {
  const config = await readOnlyConfig();
  return finished(
    spawnUnprivileged(
      process.execPath,
      [CLI, ...args, '--config-dir', config, '--env', ENVIRONMENT, '--store', store],
      { cwd: tmpdir(), env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
}

describePostgres('a fleet on PostgreSQL', () => {
  const postgres = usePostgres();

  it('a rollback from the CLI reaches every instance, each on its own read-only config; resume too', async () => {
    const store = await postgres().createDatabase();
    const instances = await Promise.all([1, 2, 3].map(() => serveInstance(store)));
    for (const instance of instances) expect((await statusOf(instance)).rolloutPercentage).toBe(50);

    const rollback = await cli(['rollback', '--reason', 'pager: error budget'], store);
    expect(rollback.code, rollback.output).toBe(0);
    expect(rollback.output).toMatch(
      /^PostgreSQL database "[^"]+" on 127\.0\.0\.1:\d+ as "[^"]+": /,
    );
    expect(rollback.output).not.toContain(new URL(store).password);
    await until(
      async () => {
        const seen = await Promise.all(instances.map(statusOf));
        return seen.every(
          (status) => status.rolloutPercentage === 0 && status.rolloutLayers.killSwitch.engaged,
        )
          ? seen
          : undefined;
      },
      () => 'every instance to serve 0 % under the kill switch',
    );

    const resume = await cli(['rollout', 'resume', '--reason', 'fixed'], store);
    expect(resume.code, resume.output).toBe(0);
    await until(
      async () => {
        const seen = await Promise.all(instances.map(statusOf));
        return seen.every(
          (status) => status.rolloutPercentage === 50 && !status.rolloutLayers.killSwitch.engaged,
        )
          ? seen
          : undefined;
      },
      () => 'every instance to serve 50 % again',
    );
    // Nobody wrote the files: they are read-only for the instances and the CLI alike.
    for (const instance of instances)
      expect(instance.output()).not.toMatch(/CONFIG_NOT_WRITABLE|EACCES/);
  }, 180_000);

  it('an instance keeps serving while PostgreSQL is away, degraded in /readyz and /metrics, and recovers', async () => {
    const server = postgres();
    const store = await server.createDatabase();
    const instance = await serveInstance(store);
    const readiness = async () => {
      const response = await fetch(`${instance.url}/readyz`);
      return (await response.json()) as {
        status: string;
        store?: { status: string; message: string };
      };
    };
    await until(
      async () => ((await readiness()).store?.status === 'ok' ? true : undefined),
      () => 'the store to be followed',
    );
    const rollback = await cli(['rollback', '--reason', 'before the outage'], store);
    expect(rollback.code, rollback.output).toBe(0);
    await until(
      async () => ((await statusOf(instance)).rolloutPercentage === 0 ? true : undefined),
      () => 'the kill switch to be served',
    );

    await server.stop('fast');
    try {
      const degraded = await until(
        async () => {
          const ready = await readiness();
          return ready.status === 'degraded' ? ready : undefined;
        },
        () => 'the instance to say it is degraded',
      );
      expect(degraded.store?.message).toMatch(
        /^degraded: store unreachable since \S+, serving the runtime state of \S+$/,
      );
      expect(degraded.store?.message).not.toContain(new URL(store).password);
      // Decisions never wait on the store: the kill switch read before the outage still holds.
      const status = await statusOf(instance);
      expect(status.rolloutPercentage).toBe(0);
      const metrics = await (await fetch(`${instance.url}/metrics`)).text();
      expect(metrics).toMatch(/^flagroute_runtime_store_up 0$/m);
      expect(metrics).toMatch(/^flagroute_runtime_store_read_failures_total [1-9]\d*$/m);
    } finally {
      await server.start();
    }
    await until(
      async () => ((await readiness()).status === 'ready' ? true : undefined),
      () => 'the instance to be ready again',
    );
    const resume = await cli(['rollout', 'resume', '--reason', 'after the outage'], store);
    expect(resume.code, resume.output).toBe(0);
    await until(
      async () => ((await statusOf(instance)).rolloutPercentage === 50 ? true : undefined),
      () => 'the resume to be served after the outage',
    );
    expect(instance.child.exitCode).toBeNull();
  }, 180_000);
});
