import { describe, expect, it } from 'vitest';
import type { RoutingContext } from '../../src/decision/types.js';
import { createRouter } from '../../src/router/create-router.js';
import routing from '../cases/routing.json' with { type: 'json' };
import { tempConfigDir } from '../helpers/config-dir.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../helpers/silent-logger.js';

interface Step {
  record?: 'success' | 'failure';
  quality?: number;
  advanceSeconds?: number;
  decide?: RoutingContext;
  expect?: Record<string, unknown>;
}

describe('routing conformance cases', () => {
  it.each(routing.cases)('$name', async (testCase) => {
    const files: Record<string, string> = {
      'environments/test.yaml': JSON.stringify(testCase.environment),
    };
    if ('rules' in testCase) files['rules/case.yaml'] = JSON.stringify(testCase.rules);
    const temp = await tempConfigDir(files);
    const clock = new FakeClock();
    const router = await createRouter({
      configDir: temp.dir,
      environment: 'test',
      env: {},
      clock,
      logger: silentLogger(),
    });
    try {
      for (const [index, step] of (testCase.steps as Step[]).entries()) {
        if (step.record === 'success') router.recordSuccess('lightrag', 0.1, step.quality);
        if (step.record === 'failure') router.recordFailure('lightrag');
        if (step.advanceSeconds !== undefined) clock.advance(step.advanceSeconds * 1000);
        if (step.decide) {
          const decision = await router.decide(step.decide);
          const { rules, ...fields } = step.expect ?? {};
          expect(decision, `step ${index}`).toMatchObject(fields);
          if (rules) {
            expect(
              decision.rules.map(({ name, matched }) => ({ name, matched })),
              `step ${index}`,
            ).toEqual(rules);
          }
        }
      }
    } finally {
      await router.close();
      await temp.remove();
    }
  });
});
