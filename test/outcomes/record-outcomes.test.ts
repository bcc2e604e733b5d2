import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decision/index.js';
import { InvalidOutcomeError } from '../../src/errors.js';
import {
  DecisionLedger,
  type OutcomeRecording,
  recordOutcome,
  recordOutcomes,
  type TiedOutcome,
  unitKey,
} from '../../src/outcomes/index.js';

const SALT = 'record-outcomes-salt';

function recording(): OutcomeRecording & { tied: TiedOutcome[] } {
  const tied: TiedOutcome[] = [];
  return { unitSalt: SALT, tied, record: (outcome) => tied.push(outcome) };
}

const decision = (fields: Partial<Decision> = {}) =>
  ({ backend: 'lightrag', cohort: 'lightrag', ...fields }) as Decision;

describe('recordOutcomes: a batch, tied through a ledger, all or nothing', () => {
  it('ties by id or by backend, turns the user into its unit, and settles every id', () => {
    const ledger = new DecisionLedger();
    const trial = ledger.remember(decision({ breakerTrial: 3 }));
    const plain = ledger.remember(decision({ backend: 'perplexity', cohort: 'control' }));
    const target = recording();
    const result = recordOutcomes(
      [
        { decisionId: trial, success: true, latencyMs: 1830, userId: 'alice' },
        { decisionId: plain, success: false },
        { backend: 'lightrag', cohort: null, success: true, quality: 0.7 },
      ],
      ledger,
      target,
    );
    expect(result).toEqual({ recorded: 3, duplicates: 0 });
    expect(target.tied).toEqual([
      {
        backend: 'lightrag',
        cohort: 'lightrag',
        outcome: { success: true, latencyMs: 1830 },
        tie: { kind: 'decision', trial: 3 },
        unit: unitKey('alice', SALT),
        decisionId: trial,
      },
      {
        backend: 'perplexity',
        cohort: 'control',
        outcome: { success: false },
        tie: { kind: 'decision', trial: null },
        decisionId: plain,
      },
      {
        backend: 'lightrag',
        cohort: null,
        outcome: { success: true, quality: 0.7 },
        tie: { kind: 'decision', trial: null },
      },
    ]);
    expect(JSON.stringify(target.tied)).not.toContain('alice');
    expect(ledger.find(trial)).toBe('settled');
    expect(ledger.find(plain)).toBe('settled');
  });

  it('records nothing and settles nothing when any item is bad, naming each', () => {
    const ledger = new DecisionLedger();
    const id = ledger.remember(decision());
    const target = recording();
    let refused: unknown;
    try {
      recordOutcomes(
        [
          { decisionId: id, success: true },
          { decisionId: id, success: true },
          { success: true },
          { decisionId: id, backend: 'perplexity', success: true },
          { backend: 'lightrag', success: true, latencyMs: -1 },
        ],
        ledger,
        target,
      );
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(InvalidOutcomeError);
    const error = refused as InvalidOutcomeError;
    expect(error.message).toBe('4 of 5 outcomes are invalid; none was recorded');
    expect(error.problems.map(({ index, field }) => [index, field])).toEqual([
      [1, 'decisionId'],
      [2, 'decision.backend'],
      [3, 'decisionId'],
      [4, 'outcome.latencyMs'],
    ]);
    expect(error.problems[0]!.message).toBe('decisionId appears twice in this batch');
    expect(target.tied).toEqual([]);
    expect(ledger.find(id)).toEqual({ backend: 'lightrag', cohort: 'lightrag' });
    expect(() => recordOutcomes([], ledger, target)).toThrow(/list of 1 to 1000/);
  });
});

describe('recordOutcome: one report and the decision it follows', () => {
  it('checks the decision and the report whole, then records once', () => {
    const target = recording();
    recordOutcome(decision({ breakerTrial: 2 }), { success: true, costUsd: 0.01 }, target);
    expect(target.tied).toEqual([
      {
        backend: 'lightrag',
        cohort: 'lightrag',
        outcome: { success: true, costUsd: 0.01 },
        tie: { kind: 'decision', trial: 2 },
      },
    ]);
    expect(() => recordOutcome({ backend: 'gpt' }, { success: true }, target)).toThrow(
      expect.objectContaining({ code: 'INVALID_OUTCOME', field: 'decision.backend' }),
    );
    expect(() => recordOutcome(decision(), { success: true, decisionId: 'x' }, target)).toThrow(
      'invalid outcome: outcome.decisionId is not a field of an outcome',
    );
    expect(target.tied).toHaveLength(1);
  });
});
