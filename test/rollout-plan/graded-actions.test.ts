import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { controllerOptions, openController, servedPercentage } from '../helpers/test-controller.js';

const ENV_FILE = 'environments/development.yaml';
const MINUTE = 60_000;

const PLAN = `rollout_percentage: 0
enable_ab_testing: true
rollout_plan:
  stages:
    - { percentage: 10, hold: 1h, min_units: 50 }
    - { percentage: 30, hold: 1h, min_units: 50 }
    - { percentage: 100, hold: 1h }
  guardrails:
    metrics:
      - success_rate
      - { metric: quality_score, margin: { absolute: 0.02 }, action: step_down, for: 2 }
`;

describe('graded actions through the real controller and the environment file', () => {
  it('a regression whose action is step_down, failing two looks in a row, takes the plan back to the stage that passed; no kill switch', async () => {
    const temp = await tempConfigDir({ [ENV_FILE]: PLAN });
    const options = controllerOptions(temp.dir, 'development');
    const { clock, source } = options;
    const controller = await openController(options);
    const served = () => servedPercentage(temp.dir, 'development');
    await controller.command({ action: 'start', reason: 'launch' });
    clock.advance(MINUTE);
    source.add(100);
    clock.advance(60 * MINUTE);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1, run: 2 });
    expect(await served()).toBe(30);

    // LightRAG's quality falls well below Perplexity's at 30 %.
    source.set('treatment', { quality: 0.7 });
    clock.advance(MINUTE);
    source.add(200);
    await controller.look();
    // The first failing look: the action waits for its second (for: 2); nothing moves.
    expect(controller.state).toMatchObject({
      phase: 'running',
      stage: 1,
      failing: { 'regression:quality_score': 1 },
    });
    const reading = controller.state.lastLook!.guardrails.find(
      (each) => each.name === 'regression:quality_score',
    )!;
    expect(reading).toMatchObject({ ok: false, action: 'step_down', for: 2 });
    clock.advance(MINUTE);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 0, run: 3, failing: {} });
    expect(controller.state.history.at(-1)).toMatchObject({ event: 'step_down', percentage: 10 });
    expect(controller.state.reason).toMatch(
      /guardrail regression:quality_score failed 2 looks in a row: .*back to stage 1 \(10 %\), which passed/,
    );
    expect(await served()).toBe(10);
    // The runtime layer, not the kill switch: the plan goes on from stage 1.
    const text = await readFile(join(temp.dir, ENV_FILE), 'utf8');
    expect(text).toMatch(/runtime:[\s\S]*rollout_percentage: 10[\s\S]*stepped down to stage 1/);
    expect(text).not.toMatch(/^rollback:/m);
  });
});
