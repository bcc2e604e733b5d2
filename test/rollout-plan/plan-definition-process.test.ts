import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePlanStore, type PlanState } from '../../src/rollout-plan/index.js';
import { waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { controllerProcess } from '../helpers/controller-process.js';
import { runCli } from '../helpers/run-cli.js';

const FIRST = `rollout_percentage: 0
rollout_plan:
  stages:
    - { percentage: 10, hold: 1s, min_units: 0 }
    - { percentage: 30, hold: 1h }
    - { percentage: 60, hold: 1h }
    - { percentage: 100, hold: 1h }
`;
const SECOND = `rollout_percentage: 0
rollout_plan:
  stages:
    - { percentage: 50, hold: 1h }
    - { percentage: 100, hold: 1h }
`;

interface Readiness {
  controller: { role: string; faults: { reason: string; summary: string }[] };
}

describe('two controllers with different plans on one state', () => {
  it("the second holds another plan's state instead of applying its own stages to it, says why with both plans' stages, and drives it only once a person restarts it under its plan", async () => {
    const [one, two] = await Promise.all([
      tempConfigDir({ 'environments/development.yaml': FIRST }),
      tempConfigDir({ 'environments/development.yaml': SECOND }),
    ]);
    const stateDir = join(one.dir, 'shared-state');
    const events = join(one.dir, 'events');
    await mkdir(events);
    const store = new FilePlanStore(stateDir, 'development');
    const state = async (): Promise<PlanState> => (await store.readState()).state;
    const plan = (dir: string, ...args: string[]) =>
      runCli(['rollout', 'plan', ...args, '--config-dir', dir, '--state-dir', stateDir]);
    const controller = (dir: string, ...more: string[]) =>
      controllerProcess(dir, events, '--state-dir', stateDir, ...more);

    expect((await plan(one.dir, 'start', '--reason', 'first plan')).code).toBe(0);
    const first = controller(one.dir);
    await waitFor('the first plan at its stage 2 (30 %)', async () => (await state()).stage === 1);
    const second = controller(two.dir, '--port', '0');
    const url = await waitFor(
      'the second endpoint',
      () => /\/metrics at (http:\/\/\S+?)"/.exec(second.output())?.[1],
    );
    const readiness = async () =>
      (await fetch(`${url}/readyz`).then((response) => response.json())) as Readiness;
    await waitFor(
      'the second to stand by',
      async () => (await readiness()).controller.role === 'standby',
    );

    first.child.kill('SIGKILL');
    const mismatch = await waitFor(
      'the second to say the state is of another plan',
      async () =>
        (await readiness()).controller.faults.find((fault) => fault.reason === 'plan_mismatch'),
      20_000,
    );
    expect(mismatch.summary).toMatch(/started under another rollout_plan/);
    const logged = await waitFor('the log line', () =>
      second.logs().find((line) => /was started under another rollout_plan/.test(String(line.msg))),
    );
    expect(logged.msg).toContain(
      "the plan of development was started under another rollout_plan (stages 10 %, 30 %, 60 %, 100 %) than this configuration's (stages 50 %, 100 %)",
    );
    expect(logged.msg).toContain('flagroute rollout plan restart --env development');
    // Nothing of the second plan was applied: no pause for "a change outside the plan".
    const held = await state();
    expect(held).toMatchObject({ phase: 'running', stage: 1 });
    expect(held.history.map((entry) => entry.event)).toEqual(['start', 'advance']);

    // A promote queued from either configuration is refused by the second, naming both plans.
    const promote = await plan(one.dir, 'promote', '--reason', 'skip');
    expect(promote.code).toBe(3);
    expect(promote.stderr).toMatch(
      /which refused it: cannot promote the plan of development: the plan of development was started under another rollout_plan \(stages 10 %, 30 %, 60 %, 100 %\)/,
    );
    const status = await plan(two.dir, 'status');
    expect(status.stdout).toContain("NOT THIS CONFIGURATION'S PLAN");
    expect(status.stdout).toContain('the state is at stage 2 of stages 10 %, 30 %, 60 %, 100 %');
    expect(status.stdout).not.toMatch(/NOW/);

    const restart = await plan(two.dir, 'restart', '--reason', 'the fleet runs the 50/100 plan');
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(
      /which applied it: running \(restarted under this configuration's rollout_plan \(stages 50 %, 100 %; it was started under stages 10 %, 30 %, 60 %, 100 %\): the fleet runs the 50\/100 plan; stage 1: 50 %/,
    );
    expect(await state()).toMatchObject({
      phase: 'running',
      stage: 0,
      definition: { stages: '50 %, 100 %' },
    });
    await waitFor(
      'the second to drive without the fault',
      async () => (await readiness()).controller.faults.length === 0,
    );
    const again = await plan(two.dir, 'restart', '--reason', 'again');
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/it runs under this configuration's rollout_plan already/);
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
