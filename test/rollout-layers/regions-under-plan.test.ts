import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { nextEvent } from '../helpers/events.js';
import { runCli } from '../helpers/run-cli.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { controllerOptions, openController } from '../helpers/test-controller.js';
import { testRouter } from '../helpers/test-router.js';

const ENV_FILE = 'environments/production.yaml';
const HOUR = 3_600_000;

const FILES = {
  [ENV_FILE]: `rollout_percentage: 10
rule_files: [rules/geography.yaml]
rollout_plan:
  stages:
    - { percentage: 5, hold: 1h }
    - { percentage: 100, hold: 1h }
`,
  'rules/geography.yaml': `geographic_routing:
  us_east: { rollout_percentage: 25 }
  us_west: { rollout_percentage: 15 }
  europe: { rollout_percentage: 3 }
`,
};

/** The percentage a decision in `region` is made against. */
async function servedIn(router: Awaited<ReturnType<typeof testRouter>>, region: string) {
  return (await router.decide({ userId: 'someone', region })).rolloutPercentage;
}

describe('regions follow the plan: a stage caps every region', () => {
  it('a plan at stage 5 % serves 5 % in us_east; at 100 % each region its configured share', async () => {
    const temp = await tempConfigDir(FILES);
    const options = controllerOptions(temp.dir, 'production', { leaseTtlMs: 30_000 });
    const { clock, source } = options;
    const controller = await openController(options);
    const router = await testRouter({
      configDir: temp.dir,
      environment: 'production',
      env: {},
      cwd: temp.dir,
      logger: silentLogger(),
      watch: { debounceMs: 10 },
    });
    // Before the plan the file's 10 % governs, and each region's rule replaces it.
    expect(await servedIn(router, 'us_east')).toBe(25);

    let reloaded = nextEvent(router, 'reload');
    await controller.command({ action: 'start', reason: 'launch' });
    await reloaded;
    expect(router.settings.rollout_percentage).toBe(5);
    expect(await servedIn(router, 'us_east')).toBe(5);
    expect(await servedIn(router, 'us_west')).toBe(5);
    expect(await servedIn(router, 'europe')).toBe(3);
    expect(await servedIn(router, 'asia')).toBe(5);
    expect(router.status().regions.us_east).toEqual({
      rolloutPercentage: 5,
      configured: 25,
      origin: expect.stringMatching(/^rules\/geography\.yaml:2$/),
      why: 'capped at the runtime 5 % (configured 25 %)',
    });
    const explained = await router.explain({ userId: 'someone', region: 'us_east' });
    expect(explained.steps.map((step) => step.detail)).toContainEqual(
      "region us_east has its own 25 %, capped at the runtime layer's 5 %",
    );

    const status = await runCli(['status', '--env', 'production'], { cwd: temp.dir, env: {} });
    expect(status.stdout).toMatch(/^rollout: 5 % \[runtime \(set by the plan at /m);
    expect(status.stdout).toContain('  us_east: 5 % (capped at the runtime 5 % (configured 25 %))');
    expect(status.stdout).toContain('  europe: 3 % (its own 3 % (within the runtime 5 %))');

    source.add(10);
    clock.advance(HOUR + 1);
    reloaded = nextEvent(router, 'reload');
    await controller.look();
    await reloaded;
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1 });
    clock.advance(HOUR + 1);
    await controller.look();
    expect(controller.state.phase).toBe('completed');
    // Completed means exactly this: every region at its configured share.
    expect(router.settings.rollout_percentage).toBe(100);
    expect(await servedIn(router, 'us_east')).toBe(25);
    expect(await servedIn(router, 'us_west')).toBe(15);
    expect(await servedIn(router, 'europe')).toBe(3);
    expect(await servedIn(router, 'asia')).toBe(100);
  });

  it('explain names the kill switch whenever it is engaged, with or without a region', async () => {
    const temp = await tempConfigDir(FILES);
    const router = await testRouter({
      configDir: temp.dir,
      environment: 'production',
      env: {},
      cwd: temp.dir,
      logger: silentLogger(),
      watch: false,
    });
    await router.updateRolloutPercentage(0, { persist: true, reason: 'error spike' });
    for (const context of [{ userId: 'someone' }, { userId: 'someone', region: 'us_east' }]) {
      const { steps, decision } = await router.explain(context);
      expect(decision.rolloutPercentage).toBe(0);
      expect(steps[0]).toEqual({
        step: 'kill switch',
        outcome: 'passed',
        detail: expect.stringMatching(
          /^the kill switch \(set at .*: error spike\) holds the rollout at 0 % in every region \[kill switch \(environments\/production\.yaml:\d+\)\]/,
        ),
      });
    }
    const cli = await runCli(['explain', '--env', 'production', '--user', 'someone'], {
      cwd: temp.dir,
      env: {},
    });
    expect(cli.stdout).toMatch(/kill switch.*error spike/);
  });
});
