import { describe, expect, it } from 'vitest';
import { TWO_STAGE_PLAN_ENV, tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

describe('serve({ controller }): the library', () => {
  it('drives the plan from the in-process router, serves its metrics, and the CLI sees and queues', async () => {
    const temp = await tempConfigDir({ 'environments/development.yaml': TWO_STAGE_PLAN_ENV });
    // The wall clock: the CLI, another process, judges the lease by it.
    const server = await testServer({
      configDir: temp.dir,
      watch: false,
      ingestToken: INGEST_TOKEN,
      controller: { intervalMs: 3_600_000 },
    });
    const controller = server.controller!;
    await controller.command({ action: 'start', reason: 'launch' });
    await server.router.reload();
    expect(server.router.settings.rollout_percentage).toBe(20);
    const metrics = await fetch(`${server.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain('flagroute_rollout_plan_stage 1');
    expect(metrics).toContain('flagroute_rollout_plan_phase{phase="running"} 1');
    expect(metrics).toContain('flagroute_rollout_plan_transitions_total{event="start"} 1');

    const status = await runCli(['rollout', 'plan', 'status', '--config-dir', temp.dir, '--json']);
    expect(status.code).toBe(0);
    const body = JSON.parse(status.stdout);
    expect(body).toMatchObject({ percentage: 20, state: { phase: 'running', stage: 0 } });
    expect(body.controller).toEqual(expect.any(String));
    const queued = await runCli([
      'rollout',
      'plan',
      'pause',
      '--config-dir',
      temp.dir,
      '--reason',
      'freeze',
    ]);
    expect(queued.stdout).toMatch(/"pause" queued for the running controller/);

    // The queued pause is applied at the controller's next look.
    for (let i = 0; i < 40; i += 1) {
      const decision = (await post(`${server.url}/v1/decide`, { userId: `u${i}` })).body as {
        decisionId: string;
      };
      await postOutcomes(`${server.url}/v1/outcomes`, {
        decisionId: decision.decisionId,
        success: true,
        quality: 0.9,
      });
    }
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'paused', reason: 'freeze' });
    const text = await runCli(['rollout', 'plan', 'status', '--config-dir', temp.dir]);
    expect(text.stdout).toMatch(/rollout plan of development: paused \(freeze\)/);
    expect(text.stdout).toMatch(/NOW {2}stage 1: +20 %/);
  });
});
