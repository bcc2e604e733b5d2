import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePlanStore } from '../../src/rollout-plan/index.js';
import { startCli, waitFor } from '../helpers/cli-process.js';
import { TWO_STAGE_PLAN_ENV, tempConfigDir } from '../helpers/config-dir.js';
import { quickControllerFlags } from '../helpers/controller-process.js';
import { runCli } from '../helpers/run-cli.js';

interface Readiness {
  status: string;
  controller: {
    role: string;
    status: string;
    faults: { reason: string; summary: string }[];
    errors: Record<string, number>;
  };
}

/** `flagroute serve --controller` on a free port; resolves with its URL once it listens. */
async function serveWithController(dir: string, events: string) {
  const server = startCli([
    'serve',
    '--config-dir',
    dir,
    '--port',
    '0',
    '--controller',
    ...quickControllerFlags(events),
  ]);
  const url = await waitFor(
    'the server to listen',
    () => /listening on (\S+)/.exec(server.output())?.[1],
  );
  const readiness = async () =>
    (await fetch(`${url}/readyz`).then((response) => response.json())) as Readiness;
  return { server, url, readiness };
}

describe('flagroute serve --controller', () => {
  it('drives the plan in the server, says in /readyz and /metrics when it is degraded or standing by, and hands over its lease on SIGTERM', async () => {
    const temp = await tempConfigDir({ 'environments/development.yaml': TWO_STAGE_PLAN_ENV });
    const events = join(temp.dir, 'events');
    const store = new FilePlanStore(join(temp.dir, 'state'), 'development');
    const first = await serveWithController(temp.dir, events);

    // The events directory does not exist yet: the metrics source is down, the server serves.
    const degraded = await waitFor('/readyz to say degraded', async () => {
      const body = await first.readiness();
      return body.status === 'degraded' ? body : undefined;
    });
    expect(degraded.controller).toMatchObject({
      role: 'active',
      status: 'degraded',
      faults: [
        { reason: 'metrics_unavailable', summary: expect.stringContaining('metrics source') },
      ],
    });
    expect(JSON.stringify(degraded)).not.toContain(temp.dir);
    const metrics = await fetch(`${first.url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(
      /flagroute_rollout_controller_errors_total\{reason="metrics_unavailable"\} [1-9]/,
    );
    expect(metrics).toContain(
      'flagroute_rollout_controller_errors_total{reason="state_unreadable"} 0',
    );
    expect(metrics).toContain('flagroute_rollout_controller_active 1');
    await mkdir(events);
    await waitFor('/readyz to say ready', async () => (await first.readiness()).status === 'ready');

    // A command from the CLI is queued for the server's controller, which applies it at once.
    const start = await runCli([
      'rollout',
      'plan',
      'start',
      '--config-dir',
      temp.dir,
      '--reason',
      'launch',
    ]);
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(
      /"start" queued for the running controller \S+, which applied it: running \(launch; stage 1: 20 %/,
    );
    const refused = await runCli([
      'rollout',
      'plan',
      'resume',
      '--config-dir',
      temp.dir,
      '--reason',
      'x',
    ]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /which refused it: cannot resume the plan of development: it is running, not paused/,
    );

    // A second server on the same directory stands by.
    const second = await serveWithController(temp.dir, events);
    await waitFor(
      'the second to stand by',
      async () => (await second.readiness()).controller.role === 'standby',
    );
    const standby = await fetch(`${second.url}/metrics`).then((response) => response.text());
    expect(standby).toContain('flagroute_rollout_controller_active 0');
    expect(standby).toContain('flagroute_rollout_plan_phase{phase="running"} 1');

    // SIGTERM: the first exits 0 and releases its lease; the second takes it at once.
    expect(await first.server.stop('SIGTERM')).toBe(0);
    await waitFor(
      'the second to drive',
      async () => (await second.readiness()).controller.role === 'active',
    );
    // The log line goes out through the logger's writer thread: it may follow the state that
    // /readyz already shows, so the test waits for it rather than expecting it there already.
    await waitFor('the second to say it took the lease', () =>
      /took the lease of development \(lease generation \d+, released by /.test(
        second.server.output(),
      ),
    );
    const lease = await store.readLease(Date.now());
    expect(lease).toMatchObject({
      state: 'live',
      holder: expect.stringMatching(new RegExp(`:${second.server.child.pid}:`)),
    });
    expect(await second.server.stop('SIGINT')).toBe(0);
  }, 90_000);

  it('refuses controller flags without --controller', async () => {
    const result = await runCli(['serve', '--metrics', 'events=x', '--lease-ttl', '5s']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--metrics, --lease-ttl need --controller');
  });
});
