import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { FlagrouteError } from '../../src/errors.js';
import { effective, layersOf } from '../../src/rollout-layers/index.js';
import {
  FilePlanStore,
  invariantViolation,
  PLAN_ACTIONS,
  type PlanState,
} from '../../src/rollout-plan/index.js';
import { seededRandom } from '../../src/rollout-plan/synthetic-backends.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { controllerOptions, openController } from '../helpers/test-controller.js';

const STAGES = [
  { percentage: 10, hold: '1h', min_units: 20 },
  { percentage: 30, hold: '1h', min_units: 20 },
  { percentage: 60, hold: '1h', min_units: 20, approval: true },
  { percentage: 100, hold: '1h' },
];
const ENVIRONMENT = `rollout_percentage: 0
enable_ab_testing: true
rollback_triggers: { error_rate: 0.05, min_quality: 0.6, min_samples: 20 }
rollout_plan:
  stages:
${STAGES.map((stage) => `    - ${JSON.stringify(stage)}`).join('\n')}
`;
const ITERATIONS = 2000;
const AT_ONCE = 25;

describe('looks and commands through one queue', () => {
  // A long run on purpose (thousands of operations through real files), not a wait for a race.
  it(`${ITERATIONS} commands and looks fired concurrently: the invariant always holds, and the file, the stored state and the controller agree`, async () => {
    const temp = await tempConfigDir({ 'environments/development.yaml': ENVIRONMENT });
    const options = controllerOptions(temp.dir, 'development');
    const { clock, source } = options;
    const controller = await openController(options);
    const store = new FilePlanStore(`${temp.dir}/state`, 'development');
    const random = seededRandom(20);
    const seen = { transitions: 0, refusals: 0, looks: 0 };
    controller.onTransition(() => {
      seen.transitions += 1;
    });
    const check = (state: PlanState, where: string) => {
      expect(invariantViolation(state, STAGES as never), where).toBeNull();
    };
    for (let done = 0; done < ITERATIONS; done += AT_ONCE) {
      const work: Promise<PlanState>[] = [];
      for (let index = 0; index < AT_ONCE; index += 1) {
        clock.advance(Math.floor(random() * 20) * 60_000);
        source.add(Math.floor(random() * 15));
        // Now and then LightRAG fails, for a while: the guardrails roll the plan back.
        source.set('treatment', { errors: random() < 0.02 ? 0.3 : 0.01 });
        const pick = random();
        if (pick < 0.45) {
          work.push(controller.look());
          seen.looks += 1;
        } else if (pick < 0.55) {
          // A person's command from another process: queued, applied by a look.
          await store.enqueueCommand({ action: 'pause', reason: 'queued' }, clock.now());
        } else {
          const action = PLAN_ACTIONS[Math.floor(random() * PLAN_ACTIONS.length)]!;
          work.push(controller.command({ action, reason: `fired ${done + index}` }));
        }
      }
      const settled = await Promise.allSettled(work);
      for (const [index, outcome] of settled.entries()) {
        if (outcome.status === 'fulfilled') {
          check(outcome.value, `operation ${done + index}`);
        } else {
          // Only refusals by the table: never a fault, never an interleaving.
          expect(outcome.reason).toBeInstanceOf(FlagrouteError);
          expect((outcome.reason as FlagrouteError).code).toBe('PLAN_CONFLICT');
          seen.refusals += 1;
        }
      }
      const state = controller.state;
      check(state, `after operation ${done + AT_ONCE}`);
      expect((await store.readState()).state).toEqual(state);
      if (state.phase !== 'pending') {
        const config = await loadConfig({ ...options, environment: 'development' });
        const expected = state.phase === 'rolled_back' ? 0 : STAGES[state.stage]!.percentage;
        expect(
          effective(layersOf(config)).percentage,
          `${state.phase} at stage ${state.stage}`,
        ).toBe(expected);
      }
    }
    expect(controller.health.snapshot().errors).toEqual({});
    // The run went through the plan, not around it.
    expect(seen.transitions).toBeGreaterThan(200);
    expect(seen.refusals).toBeGreaterThan(100);
    expect(seen.looks).toBeGreaterThan(500);
  }, 120_000);
});
