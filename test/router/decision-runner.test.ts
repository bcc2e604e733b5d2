import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decision/types.js';
import { promiseOfDecision } from '../../src/router/decision-runner.js';

const decision: Decision = {
  backend: 'perplexity',
  reason: 'conditional_rule',
  cohort: null,
  bucket: null,
  rolloutPercentage: 10,
  rules: [],
  environment: 'development',
  configVersion: 'v1',
  regionMatched: null,
  covariates: null,
  elapsedMs: undefined,
};

describe('promiseOfDecision', () => {
  it('fulfils a promise with the settled decision itself', async () => {
    const promise = promiseOfDecision(decision);
    expect(promise).toBeInstanceOf(Promise);
    expect(await promise).toBe(decision);
  });

  it('hands a pending decision on as the same promise', async () => {
    const pending = Promise.resolve(decision);
    expect(promiseOfDecision(pending)).toBe(pending);
    const failing = Promise.reject(new Error('engine failed'));
    expect(promiseOfDecision(failing)).toBe(failing);
    await expect(failing).rejects.toThrow('engine failed');
  });
});
