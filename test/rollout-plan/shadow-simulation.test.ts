import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RolloutSimulation } from '../../src/rollout-plan/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

/** A plan that proves LightRAG in the shadow first, then ramps; A/B testing on. */
const SHADOW_PLAN = `rollout_percentage: 0
enable_ab_testing: true
rollout_plan:
  stages:
    - { shadow: true, hold: 1h, min_pairs: 300 }
    - { percentage: 10, hold: 1h }
    - { percentage: 50, hold: 1h }
    - { percentage: 100, hold: 1h }
  guardrails: { metrics: [success_rate, quality_score] }
`;

async function simulate(scenario: string, body = SHADOW_PLAN) {
  const temp = await tempConfigDir({ 'environments/staging.yaml': body });
  await mkdir(join(temp.dir, 'rules'));
  const on = ['--config-dir', temp.dir, '--env', 'staging', '--scenario', scenario];
  return runCli(['rollout', 'simulate', ...on, '--json']);
}

describe('flagroute rollout simulate with a shadow stage', () => {
  it('--scenario shadow-regression: LightRAG worse on the same queries, the plan stops in the shadow stage and no user was ever served LightRAG', async () => {
    const run = await simulate('shadow-regression');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as RolloutSimulation;
    expect(result.final).toEqual({ phase: 'rolled_back', percentage: 0 });
    expect(result.timeline.map((entry) => [entry.event, entry.stage, entry.percentage])).toEqual([
      ['start', 1, 0],
      ['rollback', 1, 0],
    ]);
    expect(result.timeline[0]!.shadow).toBe(100);
    expect(result.timeline[1]!.reason).toMatch(/guardrail paired:quality_score failed/);
    expect(result.servedByLightrag).toBe(0);
    expect(result.shadowed).toBeGreaterThan(10);
  }, 60_000);

  it('--scenario healthy passes through the shadow stage into stage 2 and on; the shadow ends there', async () => {
    const run = await simulate('healthy');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as RolloutSimulation;
    expect(result.final).toEqual({ phase: 'completed', percentage: 100 });
    expect(result.timeline.map((entry) => [entry.event, entry.percentage, entry.shadow])).toEqual([
      ['start', 0, 100],
      ['advance', 10, undefined],
      ['advance', 50, undefined],
      ['advance', 100, undefined],
      ['complete', 100, undefined],
    ]);
    expect(result.timeline[1]!.reason).toMatch(/stage 1 \(shadow\) passed its checks/);
    // Pairs were made in the shadow stage only: about 10 a simulated minute (the budget).
    expect(result.shadowed).toBeGreaterThanOrEqual(300);
    expect(result.shadowed).toBeLessThan(result.queries / 4);
    expect(result.servedByLightrag).toBeGreaterThan(0);
  }, 60_000);

  it('prints the shadow stage in its timeline, and refuses shadow-regression for a plan without a shadow stage', async () => {
    const temp = await tempConfigDir({ 'environments/staging.yaml': SHADOW_PLAN });
    await mkdir(join(temp.dir, 'rules'));
    const on = ['--config-dir', temp.dir, '--env', 'staging'];
    const text = await runCli(['rollout', 'simulate', ...on, '--scenario', 'shadow-regression']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^scenario shadow-regression: rolled_back at 0 % \(\d+ simulated queries, 0 served by LightRAG, \d+ answered by LightRAG in the shadow\)/,
    );
    expect(text.stdout).toMatch(/stage 1 +shadow +start/);
    const without = await simulate(
      'shadow-regression',
      'rollout_percentage: 0\nrollout_plan:\n  stages:\n    - { percentage: 10, hold: 1h }\n',
    );
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(
      /--scenario shadow-regression plays a plan that starts with a shadow stage, and the plan of staging does not/,
    );
  }, 60_000);
});
