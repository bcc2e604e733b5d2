import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresRuntimeStore } from 'flagroute';
import pg from 'pg';
import { quantileSorted } from 'simple-statistics';
import { startPostgres } from '../helpers/postgres-server.js';

/** Rollbacks per round, and rounds: 200 kill switches engaged (and as many lifted). */
const PER_ROUND = 50;
const ROUNDS = 4;
const INSTANCES = 3;
const ENVIRONMENT = 'staging';
/** The goal of the issue: a kill switch applied by every instance within a second, at p99. */
export const PROPAGATION_TARGET_P99_MS = 1_000;

interface Quantiles {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  n: number;
}

/** What `npm run bench` reports about kill-switch propagation to a fleet on PostgreSQL. */
export interface PropagationResult {
  instances: number;
  rollbacks: number;
  /** Commit to each instance's acknowledgement, on the database's clock, per instance. */
  applied: Quantiles;
  /** The caller's write until every live instance acknowledged, on its own clock. */
  acknowledged: Quantiles;
  /** The same for each round: the spread. */
  rounds: { applied: Quantiles; acknowledged: Quantiles }[];
  /** The same for the resumes between the rollbacks (commit to each instance's acknowledgement). */
  resumeApplied: Quantiles;
}

function quantiles(values: number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    p50Ms: round(quantileSorted(sorted, 0.5)),
    p99Ms: round(quantileSorted(sorted, 0.99)),
    maxMs: round(sorted.at(-1)!),
    n: sorted.length,
  };
}

/** `flagroute serve --store` on its own copy of the repository's configuration. */
async function startInstance(cwd: string, store: string): Promise<ChildProcess> {
  const config = await mkdtemp(join(tmpdir(), 'flagroute-bench-fleet-'));
  for (const part of ['environments', 'rules']) {
    await cp(join(cwd, part), join(config, part), { recursive: true });
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('FLAGROUTE_') && !key.startsWith('LIGHTRAG_')) env[key] = value;
  }
  const child = spawn(
    process.execPath,
    [
      join(cwd, 'dist', 'cli', 'main.js'),
      'serve',
      '--config-dir',
      config,
      '--env',
      ENVIRONMENT,
      '--port',
      '0',
      '--heartbeat',
      '1s',
    ],
    { env: { ...env, FLAGROUTE_STORE: store }, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  child.once('exit', () => void rm(config, { recursive: true, force: true }));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening`)));
  });
  return child;
}

/**
 * Kill-switch propagation to three `flagroute serve --store` processes on a PostgreSQL started
 * here: ROUNDS x PER_ROUND rollbacks, each lifted again before the next, written through the
 * library as the CLI writes them. For each, the database's own times: the change
 * (`runtime_history.changed_at`, its transaction's `now()`) to each instance's acknowledgement (`runtime_applied_at`,
 * written once its router serves the change), and the caller's wait for all of them.
 */
export async function benchmarkPropagation(cwd: string): Promise<PropagationResult> {
  const server = await startPostgres();
  const children: ChildProcess[] = [];
  let store: PostgresRuntimeStore | undefined;
  let client: pg.Client | undefined;
  try {
    const url = await server.createDatabase();
    store = await PostgresRuntimeStore.open({ url, environment: ENVIRONMENT });
    for (let index = 0; index < INSTANCES; index += 1) {
      children.push(await startInstance(cwd, url));
    }
    client = new pg.Client({ connectionString: url });
    await client.connect();
    const live = async () => (await store!.fleetStatus({ staleAfterMs: 60_000 })).instances;
    while ((await live()).filter((each) => each.state === 'live').length < INSTANCES) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const change = async (engage: boolean) => {
      const started = performance.now();
      await store!.updateRuntime({
        killSwitch: engage
          ? {
              trigger: 'manual',
              reason: 'propagation bench',
              at: new Date().toISOString(),
              previousPercentage: 50,
            }
          : null,
      });
      const acks = await store!.awaitAcknowledgements({ deadlineMs: 30_000, staleAfterMs: 60_000 });
      const waited = performance.now() - started;
      if (acks.missing.length > 0 || acks.live.length !== INSTANCES) {
        throw new Error(`propagation bench: ${acks.missing.length} instances did not acknowledge`);
      }
      const rows = await client!.query<{ ms: number }>(
        `SELECT extract(epoch FROM i.runtime_applied_at - h.changed_at) * 1000 AS ms
           FROM flagroute.instances AS i
           JOIN flagroute.runtime_history AS h
             ON h.environment = i.environment AND h.version = i.runtime_version
          WHERE i.environment = $1 AND i.stopped_at IS NULL AND i.runtime_version = $2`,
        [ENVIRONMENT, acks.version],
      );
      return { applied: rows.rows.map((row) => Number(row.ms)), waited };
    };
    const rounds: PropagationResult['rounds'] = [];
    const applied: number[] = [];
    const acknowledged: number[] = [];
    const resumed: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const roundApplied: number[] = [];
      const roundAcknowledged: number[] = [];
      for (let index = 0; index < PER_ROUND; index += 1) {
        const rollback = await change(true);
        roundApplied.push(...rollback.applied);
        roundAcknowledged.push(rollback.waited);
        resumed.push(...(await change(false)).applied);
      }
      rounds.push({ applied: quantiles(roundApplied), acknowledged: quantiles(roundAcknowledged) });
      applied.push(...roundApplied);
      acknowledged.push(...roundAcknowledged);
    }
    return {
      instances: INSTANCES,
      rollbacks: ROUNDS * PER_ROUND,
      applied: quantiles(applied),
      acknowledged: quantiles(acknowledged),
      rounds,
      resumeApplied: quantiles(resumed),
    };
  } finally {
    await client?.end().catch(() => {});
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) =>
            child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
          ),
      ),
    );
    await store?.close();
    await server.destroy();
  }
}

/** The propagation section of docs/benchmarks.md. */
export function renderPropagation(result: PropagationResult): string[] {
  const range = (values: number[]) =>
    `${Math.min(...values).toFixed(1)} to ${Math.max(...values).toFixed(1)}`;
  const row = (name: string, q: Quantiles, key: 'applied' | 'acknowledged') =>
    `| ${name} | ${q.n} | ${q.p50Ms.toFixed(1)} | ${q.p99Ms.toFixed(1)} | ${q.maxMs.toFixed(1)} | p50 ${range(result.rounds.map((each) => each[key].p50Ms))}, p99 ${range(result.rounds.map((each) => each[key].p99Ms))} |`;
  const met = result.applied.p99Ms < PROPAGATION_TARGET_P99_MS;
  return [
    '## Kill-switch propagation to a fleet on PostgreSQL',
    '',
    `${result.instances} \`flagroute serve --store\` processes on one machine, a PostgreSQL of the bench's own; ${result.rollbacks} rollbacks (the kill switch engaged through \`PostgresRuntimeStore.updateRuntime\`, as \`flagroute rollback --store\` writes it), each lifted again before the next, in ${result.rounds.length} rounds. **Applied**: from the change (\`runtime_history.changed_at\`, the database's \`now()\` in the writing transaction, so the transaction's own few milliseconds count too) to each instance's acknowledgement (\`instances.runtime_applied_at\`, written once its router serves the change), both on the database's clock, one sample per instance and rollback. **Acknowledged**: the writer's own wait, from its write until \`awaitAcknowledgements\` saw every live instance (it looks every 20 ms).`,
    '',
    '| measure | samples | p50 ms | p99 ms | max ms | spread over rounds |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    row('applied (per instance)', result.applied, 'applied'),
    row('acknowledged (all three, to the writer)', result.acknowledged, 'acknowledged'),
    '',
    `- lifting the kill switch (the resumes between): applied p50 ${result.resumeApplied.p50Ms.toFixed(1)} ms, p99 ${result.resumeApplied.p99Ms.toFixed(1)} ms, max ${result.resumeApplied.maxMs.toFixed(1)} ms`,
    `- goal: applied by every instance within ${PROPAGATION_TARGET_P99_MS} ms at p99: ${met ? 'met' : 'NOT met'} (p99 ${result.applied.p99Ms.toFixed(1)} ms)`,
    '',
  ];
}
