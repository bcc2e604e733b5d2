import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { onTestEnd } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { controllerProcess } from '../helpers/controller-process.js';
import { runCli } from '../helpers/run-cli.js';

/** A config directory whose two-stage plan was started; `state` are its directory flags. */
async function startedPlan() {
  const { dir } = await tempConfigDir({
    'environments/development.yaml': `rollout_percentage: 0
rollout_plan:
  stages:
    - { percentage: 10, hold: 1h }
    - { percentage: 100, hold: 1h }
`,
  });
  const state = ['--config-dir', dir, '--state-dir', `${dir}/state`];
  expect((await runCli(['rollout', 'plan', 'start', ...state, '--reason', 'go'])).code).toBe(0);
  return { dir, state };
}

/** `--metrics` is checked when the command starts, in its own words. */
describe('the controller flag --metrics', () => {
  it('refuses prometheus= without an http(s) URL at start, naming --metrics, not a flag the command lacks', async () => {
    const { dir } = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 5\n',
    });
    for (const command of [
      ['controller', '--once'],
      ['serve', '--controller', '--port', '0'],
    ]) {
      for (const [url, shown] of [
        ['notaurl', '(not a URL)'],
        ['ftp://prometheus:9090', 'ftp://prometheus:9090/'],
      ]) {
        const run = await runCli([
          ...command,
          '--config-dir',
          dir,
          '--state-dir',
          `${dir}/state`,
          '--metrics',
          `prometheus=${url}`,
        ]);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain(
          `error: --metrics prometheus=URL needs an http:// or https:// URL such as prometheus=http://prometheus:9090, got prometheus=${shown}\n`,
        );
        expect(run.stderr).not.toContain('--prometheus');
      }
    }
  });

  it('serve says which controller flag needs --controller, in the number it was given', async () => {
    const one = await runCli(['serve', '--metrics', 'router', '--port', '0']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('error: --metrics needs --controller');
  });

  it('prometheus=URL with a user, a password and a query token: basic auth and the token reach Prometheus under its path, and no log line shows either secret', async () => {
    const seen: { path: string; token: string | null; authorization: string | undefined }[] = [];
    const prometheus = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://prometheus.test');
      seen.push({
        path: url.pathname,
        token: url.searchParams.get('token'),
        authorization: request.headers.authorization,
      });
      const allowed =
        request.headers.authorization === `Basic ${Buffer.from('app:hunter2').toString('base64')}`;
      response.writeHead(allowed ? 200 : 401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          allowed
            ? { status: 'success', data: { resultType: 'vector', result: [] } }
            : { status: 'error', error: 'unauthorized' },
        ),
      );
    });
    prometheus.listen(0, '127.0.0.1');
    await once(prometheus, 'listening');
    onTestEnd(() => new Promise((resolve) => prometheus.close(resolve)));
    const { port } = prometheus.address() as { port: number };
    const { state } = await startedPlan();
    const url = `http://app:hunter2@127.0.0.1:${port}/prom?token=tok-secret-1`;
    const run = await runCli(['controller', '--once', ...state, '--metrics', `prometheus=${url}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request).toEqual({
        path: '/prom/api/v1/query',
        token: 'tok-secret-1',
        authorization: `Basic ${Buffer.from('app:hunter2').toString('base64')}`,
      });
    }
    expect(run.stdout + run.stderr).not.toMatch(/hunter2|tok-secret-1|cannot be read/);
    // The same URL from FLAGROUTE_PROMETHEUS_URL, off the command line (and out of ps).
    const before = seen.length;
    const fromVariable = await runCli(
      ['controller', '--once', ...state, '--metrics', 'prometheus'],
      {
        env: { FLAGROUTE_PROMETHEUS_URL: url },
      },
    );
    expect(fromVariable.code, fromVariable.stderr).toBe(0);
    expect(seen.length).toBeGreaterThan(before);
    expect(seen.at(-1)?.authorization).toBe(
      `Basic ${Buffer.from('app:hunter2').toString('base64')}`,
    );
    // A wrong password: the fault names the source with its secrets replaced.
    const wrong = `http://app:not-this-one@127.0.0.1:${port}/prom?token=tok-secret-1`;
    const refused = await runCli([
      'controller',
      '--once',
      ...state,
      '--metrics',
      `prometheus=${wrong}`,
    ]);
    const output = refused.stdout + refused.stderr;
    expect(output).toContain(
      `the metrics source prometheus=http://app:***@127.0.0.1:${port}/prom?token=*** of development cannot be read`,
    );
    expect(output).toContain('unauthorized');
    expect(output).not.toMatch(/not-this-one|tok-secret-1/);
  });

  it('events=DIR whose lines are all bad says so: a fault naming file:line in the log and /readyz, counted in /metrics', async () => {
    const { dir } = await startedPlan();
    const events = `${dir}/events`;
    await mkdir(events);
    await writeFile(`${events}/outcomes-2026-12-07.jsonl`, 'not json\n{"time": "yesterday"}\n[]\n');
    const controller = controllerProcess(dir, events, '--state-dir', `${dir}/state`, '--port', '0');
    const url = await waitFor(
      'the controller endpoint',
      () => /\/metrics at (http:\/\/\S+?)"/.exec(controller.output())?.[1],
    );
    const readiness = await waitFor('/readyz to name the skipped lines', async () => {
      const body = (await fetch(`${url}/readyz`).then((response) => response.json())) as {
        status: string;
        controller: { faults: { reason: string; summary: string }[] };
      };
      return body.controller.faults.some((fault) => fault.reason === 'events_skipped')
        ? body
        : undefined;
    });
    expect(readiness.status).toBe('degraded');
    const logged = await waitFor('the log line', () =>
      controller.logs().find((line) => /no outcome or exposure event/.test(String(line.msg))),
    );
    expect(logged.msg).toContain('has 3 lines that are no outcome or exposure event');
    expect(logged.msg).toMatch(/outcomes-2026-12-07\.jsonl:1: .*; outcomes-2026-12-07\.jsonl:2: /);
    const metrics = await fetch(`${url}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(
      /flagroute_rollout_controller_errors_total\{reason="events_skipped"\} [1-9]/,
    );
    expect(await controller.stop('SIGTERM')).toBe(0);
  }, 60_000);
});
