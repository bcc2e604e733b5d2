import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEventFiles } from '../../src/experiment/read-events.js';
import { eventsMetrics } from '../../src/rollout-plan/metrics-sources.js';
import { type CliProcess, startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, postOutcomes } from '../helpers/test-server.js';

const BODY = `rollout_percentage: 100
enable_ab_testing: true
user_hash_salt: event-log-processes-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;

async function setUp() {
  const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
  const events = join(temp.dir, 'events');
  const serve = async (): Promise<{ process: CliProcess; url: string }> => {
    const process = startCli(
      ['serve', '--config-dir', temp.dir, '--port', '0', '--events-dir', events],
      { env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN } },
    );
    const url = await waitFor(
      'the server to listen',
      () => /listening on (\S+)/.exec(process.output())?.[1],
    );
    return { process, url };
  };
  return { temp, events, serve };
}

/** `count` untied outcomes, half per arm, each of its own user. */
const outcomes = (tag: string, from: number, count: number) =>
  Array.from({ length: count }, (_, index) => {
    const cohort = (from + index) % 2 === 0 ? 'lightrag' : 'perplexity';
    return {
      backend: cohort,
      cohort,
      userId: `${tag}-${from + index}`,
      success: true,
      latencyMs: 900 + ((from + index) % 50),
      quality: 0.8,
    };
  });

/** The event lines of every file in `dir`, by file (none while `dir` is missing). */
function linesIn(dir: string): Record<string, string[]> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir).map((name) => [
      name,
      readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean),
    ]),
  );
}

describe('the outcome event log of real flagroute serve processes', () => {
  it('two servers on one --events-dir write files of their own and lose no accepted outcome; experiment report and the controller read them all', async () => {
    const { temp, events, serve } = await setUp();
    const servers = await Promise.all([serve(), serve()]);
    const batches = 12;
    const size = 250;
    // Both servers take batches at once, as two instances behind a load balancer do.
    await Promise.all(
      servers.map(async ({ url }, server) => {
        for (let batch = 0; batch < batches; batch += 1) {
          const answer = await postOutcomes(
            `${url}/v1/outcomes`,
            outcomes(`s${server}`, batch * size, size),
          );
          expect(answer.status).toBe(200);
        }
      }),
    );
    const total = servers.length * batches * size;
    expect(await Promise.all(servers.map(({ process }) => process.stop()))).toEqual([0, 0]);

    const files = linesIn(events);
    const names = Object.keys(files).sort();
    expect(names).toHaveLength(2);
    for (const { process } of servers) {
      expect(names.some((name) => name.endsWith(`-${process.child.pid}.jsonl`))).toBe(true);
    }
    const units = new Set(
      Object.values(files)
        .flat()
        .map((line) => JSON.parse(line).unit),
    );
    expect(units.size).toBe(total);

    const paths = names.map((name) => join(events, name));
    const read = await readEventFiles(paths);
    expect(read).toMatchObject({ malformed: 0, duplicateDecisionIds: 0 });
    expect(read.accumulator.counts.analyzed).toBe(total);
    const report = await runCli(
      ['experiment', 'report', '--events', ...names.map((name) => join('events', name)), '--json'],
      { cwd: temp.dir },
    );
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout).events).toMatchObject({ analyzed: total, malformed: 0 });
    const plan = await eventsMetrics(events).read();
    const n = (arm: unknown) => (arm as Record<string, { n: number }>).success_rate!.n;
    expect(n(plan.arms.treatment) + n(plan.arms.baseline)).toBe(total);
  });

  it('a deleted file and a deleted directory: the server writes a new one and stays ready', async () => {
    const { events, serve } = await setUp();
    const { process, url } = await serve();
    const post = async (from: number, count: number) =>
      expect((await postOutcomes(`${url}/v1/outcomes`, outcomes('u', from, count))).status).toBe(
        200,
      );
    const name = `outcomes-${new Date().toISOString().slice(0, 10)}`;
    const written = (count: number) => () => {
      const files = linesIn(events);
      const [file] = Object.keys(files).filter((key) => key.startsWith(name));
      return file !== undefined && files[file]!.length === count ? file : undefined;
    };
    await post(0, 50);
    const file = await waitFor('the first 50 outcomes on disk', written(50));
    unlinkSync(join(events, file));
    await post(50, 30);
    expect(await waitFor('30 outcomes in a new file', written(30))).toBe(file);
    rmSync(events, { recursive: true });
    await post(80, 20);
    expect(await waitFor('20 outcomes in a new directory', written(20))).toBe(file);
    const ready = (await fetch(`${url}/readyz`).then((response) => response.json())) as {
      status: string;
      eventLogs: { outcome: { reopened: number; status: string } };
    };
    expect(ready).toMatchObject({
      status: 'ready',
      eventLogs: { outcome: { status: 'ok', reopened: 2 } },
    });
    expect(await process.stop()).toBe(0);
    expect(
      process.logs().filter((line) => /was deleted or moved away/.test(String(line.msg))),
    ).toHaveLength(2);
  });

  it('an --events-dir no file system will hold (under /proc): the server starts, degraded, and stops on SIGTERM', async () => {
    // Node's recursive mkdir spun for ever here (procfs answers ENOENT for the child of a
    // directory that exists): the server never listened and ignored SIGTERM.
    const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
    const process = startCli(
      [
        'serve',
        '--config-dir',
        temp.dir,
        '--port',
        '0',
        '--events-dir',
        '/proc/flagroute-none/events',
      ],
      { env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN } },
    );
    const url = await waitFor(
      'the server to listen',
      () => /listening on (\S+)/.exec(process.output())?.[1],
    );
    const ready = (await fetch(`${url}/readyz`).then((response) => response.json())) as Record<
      string,
      unknown
    >;
    expect(ready).toMatchObject({
      status: 'degraded',
      eventLogs: { outcome: { status: 'degraded', failure: { reason: 'no_directory' } } },
    });
    expect(JSON.stringify(ready)).not.toContain('/proc');
    expect(await process.stop()).toBe(0);
  });
});
