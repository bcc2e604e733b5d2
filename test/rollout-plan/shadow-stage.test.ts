import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import {
  effective,
  effectiveShadow,
  FileRuntimeLayer,
  layersOf,
  setShadow,
} from '../../src/rollout-layers/index.js';
import type { ControllerOptions, TransitionNotice } from '../../src/rollout-plan/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { controllerOptions, openController } from '../helpers/test-controller.js';

const ENV_FILE = 'environments/development.yaml';
const HOUR = 3_600_000;
const HEALTHY = { lightrag: 0.85, perplexity: 0.78 };
const WORSE = { lightrag: 0.6, perplexity: 0.78 };

const PLAN = (
  shadow = '{ shadow: true, hold: 1h, min_pairs: 200 }',
  extra = '',
) => `rollout_percentage: 0
enable_ab_testing: true
rollback_triggers:
  error_rate: 0.05
  min_quality: 0.5
  min_samples: 20
rollout_plan:
  stages:
    - ${shadow}
    - { percentage: 10, hold: 1h, min_units: 50 }
    - { percentage: 100, hold: 1h }
  guardrails: { metrics: [success_rate, quality_score]${extra} }
`;

async function setUp(shadow?: string, extra?: string, overrides: Partial<ControllerOptions> = {}) {
  const temp = await tempConfigDir({ [ENV_FILE]: PLAN(shadow, extra) });
  const options = controllerOptions(temp.dir, 'development', { leaseTtlMs: 30_000, ...overrides });
  const controller = await openController(options);
  const notices: TransitionNotice[] = [];
  controller.onTransition((notice) => notices.push(notice));
  /** What a freshly started router would serve: users' percentage and the shadow share. */
  const serving = async () => {
    const config = await loadConfig({
      configDir: temp.dir,
      environment: 'development',
      env: {},
      stabilityMs: 0,
    });
    const layers = layersOf(config);
    return {
      users: effective(layers).percentage,
      shadow: effectiveShadow(layers, config.settings).percentage,
    };
  };
  return { temp, controller, notices, serving, ...options };
}

describe('the shadow stage of a rollout plan', () => {
  it('serves no user LightRAG, shadows, waits for hold and min_pairs since it started, then advances and turns the shadow off', async () => {
    const { controller, notices, serving, clock, source } = await setUp();
    source.addPairs(100, 3, HEALTHY); // before the stage: not its pairs
    clock.advance(60_000);
    await controller.command({ action: 'start', reason: 'prove LightRAG first' });
    expect(controller.state).toMatchObject({ phase: 'running', stage: 0 });
    expect(await serving()).toEqual({ users: 0, shadow: 100 });
    expect(notices[0]).toMatchObject({ event: 'start', percentage: 0, shadow: 100 });
    expect(notices[0]!.reason).toMatch(
      /stage 1 \(shadow\): no user on LightRAG, 100 % of the eligible queries/,
    );

    source.addPairs(30, 2, HEALTHY);
    clock.advance(30 * 60_000);
    await controller.look();
    expect(controller.state.phase).toBe('running'); // the hold has not passed
    expect(controller.state.lastLook?.pairs).toEqual({ pairs: 60, users: 30 });
    clock.advance(31 * 60_000);
    await controller.look();
    expect(controller.state.phase).toBe('holding');
    expect(controller.state.reason).toMatch(
      /stage 1 \(shadow\) needs 200 pairs before it is judged; it has 60 from 30 users/,
    );
    expect(await serving()).toEqual({ users: 0, shadow: 100 });

    source.addPairs(50, 3, HEALTHY);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1 });
    expect(controller.state.history.at(-1)!.reason).toMatch(
      /stage 1 \(shadow\) passed its checks; now 10 % .*\(the shadow is off\)/,
    );
    expect(await serving()).toEqual({ users: 10, shadow: 0 });
    const advance = notices.at(-1)!;
    expect(advance).toMatchObject({ event: 'advance', stage: 1, percentage: 10 });
    expect(advance.shadow).toBeUndefined();
    const guardrails = notices.length > 0 ? controller.state.history : [];
    expect(guardrails.map((item) => item.event)).toEqual(['start', 'hold', 'advance']);
  });

  it('rolls back in the shadow stage when LightRAG is worse on the same queries: no user was exposed, the shadow stops', async () => {
    const { controller, serving, clock, source, temp } = await setUp();
    await controller.command({ action: 'start', reason: 'prove LightRAG first' });
    source.addPairs(40, 3, WORSE);
    clock.advance(10 * 60_000);
    await controller.look();
    expect(controller.state.phase).toBe('rolled_back');
    expect(controller.state.reason).toMatch(/guardrail paired:quality_score failed/);
    expect(await serving()).toEqual({ users: 0, shadow: 0 });
    const look = controller.state.lastLook!;
    const quality = look.guardrails.find((reading) => reading.name === 'paired:quality_score')!;
    expect(quality.ok).toBe(false);
    expect(quality.interval![1]).toBeLessThan(0);
    expect(controller.state.history.every((item) => item.percentage === 0)).toBe(true);
    const text = await readFile(join(temp.dir, ENV_FILE), 'utf8');
    expect(text).toMatch(
      /rollback:[\s\S]*guardrail paired:quality_score failed at stage 1 \(shadow\)/,
    );
  });

  it("takes a regression's graded action on pairs: hold keeps the stage and the shadow", async () => {
    const { controller, serving, clock, source } = await setUp(
      undefined,
      ', actions: { regression: { action: hold } }',
    );
    await controller.command({ action: 'start', reason: 'prove LightRAG first' });
    source.addPairs(80, 3, WORSE);
    clock.advance(2 * HOUR);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'holding', stage: 0 });
    expect(controller.state.reason).toMatch(
      /stage 1 \(shadow\) holds: guardrail paired:quality_score failed/,
    );
    expect(await serving()).toEqual({ users: 0, shadow: 100 });
  });

  it('judges the shadow calls against the rollback triggers, per user', async () => {
    const { controller, clock, source } = await setUp();
    await controller.command({ action: 'start', reason: 'prove LightRAG first' });
    source.addPairs(40, 5, HEALTHY, 0.2);
    clock.advance(10 * 60_000);
    await controller.look();
    expect(controller.state.phase).toBe('rolled_back');
    expect(controller.state.reason).toMatch(/guardrail error_rate failed: 0.2000 against 0.05/);
  });

  it("a stage percentage is the shadow's share; a source without pairs per user keeps the stage from advancing", async () => {
    const { controller, serving, clock, source } = await setUp(
      '{ shadow: true, percentage: 25, hold: 1h, min_pairs: 10, max_hold: 3h }',
    );
    source.pairsPerUser = false;
    await controller.command({ action: 'start', reason: 'prove LightRAG first' });
    expect(await serving()).toEqual({ users: 0, shadow: 25 });
    source.addPairs(50, 3, HEALTHY);
    clock.advance(2 * HOUR);
    await controller.look();
    expect(controller.state.phase).toBe('holding');
    expect(controller.state.reason).toMatch(/its metrics source has no pairs per user/);
    clock.advance(2 * HOUR);
    await controller.look();
    expect(controller.state.phase).toBe('paused');
    expect(controller.state.reason).toMatch(/waited 4h .* for 10 pairs/);
  });

  it('a shadow share changed outside the plan pauses it; resume sets the stage again; abort turns the shadow off', async () => {
    const { controller, serving, clock, temp } = await setUp();
    await controller.command({ action: 'start', reason: 'prove LightRAG first' });
    const config = await loadConfig({
      configDir: temp.dir,
      environment: 'development',
      env: {},
      stabilityMs: 0,
    });
    await setShadow(
      { config, store: new FileRuntimeLayer(config) },
      { shadowPercentage: 5, setBy: 'operator', reason: 'less load', at: new Date(clock.now()) },
    );
    clock.advance(60_000);
    await controller.look();
    expect(controller.state.phase).toBe('paused');
    expect(controller.state.reason).toMatch(
      /the shadow share is 5 % but stage 1 \(shadow\) shadows 100 %: it was changed outside the plan/,
    );
    await controller.command({ action: 'resume', reason: 'back to the plan' });
    expect(await serving()).toEqual({ users: 0, shadow: 100 });
    await controller.command({ action: 'abort', reason: 'not now' });
    expect(controller.state.phase).toBe('rolled_back');
    expect(await serving()).toEqual({ users: 0, shadow: 0 });
  });

  it('a step down from the stage after it returns to the shadow stage', async () => {
    const { controller, serving, clock, source } = await setUp(
      undefined,
      ', actions: { regression: { action: step_down } }',
    );
    await controller.command({ action: 'start', reason: 'prove LightRAG first' });
    source.addPairs(80, 3, HEALTHY);
    clock.advance(HOUR + 1);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1 });
    source.set('treatment', { quality: 0.6 });
    source.add(60);
    clock.advance(60_000);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 0 });
    expect(controller.state.reason).toMatch(/back to stage 1 \(shadow\) \(no user on LightRAG/);
    expect(await serving()).toEqual({ users: 0, shadow: 100 });
  });
});
