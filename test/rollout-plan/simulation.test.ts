import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulateRollout } from '../../src/rollout-plan/rollout-simulation.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { runCli } from '../helpers/run-cli.js';

const run = (scenario: Parameters<typeof simulateRollout>[0]['scenario']) =>
  simulateRollout({ configDir: REPO_DIR, environment: 'production', scenario });

describe("rollout simulation (the guide's scenarios, production's plan, the real router and controller)", () => {
  it('healthy: every stage, the approval stage approved by a person, completed at 100 %', async () => {
    const result = await run('healthy');
    expect(result.final).toEqual({ phase: 'completed', percentage: 100 });
    expect(result.timeline.map((entry) => [entry.event, entry.percentage])).toEqual([
      ['start', 5],
      ['advance', 15],
      ['advance', 30],
      ['approval', 30],
      ['promote', 30],
      ['advance', 50],
      ['advance', 100],
      ['complete', 100],
    ]);
  });

  it('latency-regression: rolled back when the candidate p95 degrades at 30 %', async () => {
    const result = await run('latency-regression');
    expect(result.final).toEqual({ phase: 'rolled_back', percentage: 0 });
    const rollback = result.timeline.at(-1)!;
    expect(rollback).toMatchObject({ event: 'rollback', stage: 3 });
    expect(rollback.reason).toMatch(/response_time/);
  });

  it('quality-drop and error-spike: rolled back at the stage where they start', async () => {
    const quality = await run('quality-drop');
    expect(quality.final.phase).toBe('rolled_back');
    expect(quality.timeline.at(-1)!.reason).toMatch(/quality/);
    const errors = await run('error-spike');
    expect(errors.final.phase).toBe('rolled_back');
    expect(errors.timeline.at(-1)!.reason).toMatch(/circuit_breaker|error_rate/);
  });

  it('low-traffic: holds, then pauses with a reason; never rolls back for lack of data', async () => {
    const result = await run('low-traffic');
    expect(result.final).toEqual({ phase: 'paused', percentage: 5 });
    expect(result.timeline.map((entry) => entry.event)).toEqual(['start', 'hold', 'pause']);
    expect(result.timeline[2]!.reason).toMatch(/waited .* for 200 units per arm/);
  });

  it('flapping: swings inside the thresholds complete without a pause or a rollback', async () => {
    const result = await run('flapping');
    expect(result.final.phase).toBe('completed');
    expect(
      result.timeline.some((entry) => entry.event === 'rollback' || entry.event === 'pause'),
    ).toBe(false);
  });

  it('flagroute rollout simulate --json prints the documented shape', async () => {
    const result = await runCli([
      'rollout',
      'simulate',
      '--env',
      'production',
      '--scenario',
      'error-spike',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body).toMatchObject({
      scenario: 'error-spike',
      final: { phase: 'rolled_back', percentage: 0 },
    });
    for (const entry of body.timeline) {
      expect(Object.keys(entry)).toEqual(
        expect.arrayContaining(['at', 'stage', 'percentage', 'event', 'reason']),
      );
    }
    const bad = await runCli([
      'rollout',
      'simulate',
      '--env',
      'production',
      '--scenario',
      'meteor',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scenario must be one of healthy, latency-regression/);
  });

  it('aa-repeat-users and ramp (A/B on, users with 1..50 requests and their own effect): every stage passes, no step down, no pause, no rollback', async () => {
    const temp = await tempConfigDir({ 'environments/staging.yaml': SHORT_PLAN });
    await mkdir(join(temp.dir, 'rules'));
    for (const scenario of ['aa-repeat-users', 'ramp'] as const) {
      const result = await simulateRollout({
        configDir: temp.dir,
        environment: 'staging',
        scenario,
        queriesPerMinute: 300,
        population: 5000,
      });
      expect(result.final, scenario).toEqual({ phase: 'completed', percentage: 100 });
      expect(result.timeline.map((entry) => [entry.event, entry.percentage])).toEqual([
        ['start', 10],
        ['advance', 20],
        ['advance', 50],
        ['advance', 100],
        ['complete', 100],
      ]);
    }
    // Two simulated plans of four hours each: about 10 s on a loaded machine.
  }, 60_000);

  it('flagroute rollout simulate --scenario ramp prints each action of the timeline', async () => {
    const temp = await tempConfigDir({ 'environments/staging.yaml': SHORT_PLAN });
    await mkdir(join(temp.dir, 'rules'));
    const result = await runCli([
      'rollout',
      'simulate',
      '--config-dir',
      temp.dir,
      '--env',
      'staging',
      '--scenario',
      'ramp',
      '--seed',
      '7',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^scenario ramp: completed at 100 %/);
    expect(result.stdout).toMatch(/stage 2 +20 % +advance/);
    // The real binary simulating four hours of a 20,000-user population: about 9 s loaded.
  }, 60_000);
});

/** A short plan through the ramp of the issue (10 % -> 20 %), held an hour a stage. */
const SHORT_PLAN = `rollout_percentage: 0
enable_ab_testing: true
rollout_plan:
  stages:
    - { percentage: 10, hold: 1h, min_units: 100 }
    - { percentage: 20, hold: 1h, min_units: 100 }
    - { percentage: 50, hold: 1h, min_units: 100 }
    - { percentage: 100, hold: 1h }
`;
