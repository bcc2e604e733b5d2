import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decision/index.js';
import { DecisionTokens, parseDecisionKeys } from '../../src/decision-tokens/index.js';
import { InvalidOutcomeError } from '../../src/errors.js';
import {
  DecisionLedger,
  type OutcomeRecording,
  recordOutcomes,
  SettledDecisions,
  type TiedOutcome,
  unitKey,
} from '../../src/outcomes/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SALT = 'outcome-by-token-salt';
const KEYS = parseDecisionKeys('k1:the-secret-of-the-outcome-by-token-tests-0123456789');

function recording(): OutcomeRecording & { tied: TiedOutcome[] } {
  const tied: TiedOutcome[] = [];
  return { unitSalt: SALT, tied, record: (outcome) => tied.push(outcome) };
}

const decision = (fields: Partial<Decision> = {}) =>
  ({
    backend: 'lightrag',
    cohort: 'lightrag',
    bucket: 3.5,
    configVersion: 'cfg',
    rolloutPercentage: 10,
    ...fields,
  }) as Decision;

/** Two instances' ledgers with one key and clock (and an optional settled memory). */
function fleet(settledMemory?: number) {
  const clock = new FakeClock();
  const ledger = () =>
    new DecisionLedger({
      tokens: new DecisionTokens({ keys: KEYS, clock, ttlMs: 60_000 }),
      ...(settledMemory === undefined ? {} : { settledMemory }),
    });
  return { clock, one: ledger(), two: ledger() };
}

function refusal(run: () => unknown): InvalidOutcomeError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidOutcomeError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('outcomes by decision token: from any instance with the key, once', () => {
  it("ties an outcome to another instance's decision by its token: backend, cohort, the user's unit; no breaker trial of another breaker", () => {
    const { one, two } = fleet();
    const unit = unitKey('alice', SALT);
    const alice = { id: 'alice', salt: SALT };
    const { decisionId, decisionToken } = one.issue(decision({ breakerTrial: 2 }), alice);
    expect(decisionToken).toBeDefined();
    const target = recording();
    expect(recordOutcomes({ decisionToken, success: true, latencyMs: 700 }, two, target)).toEqual({
      recorded: 1,
      duplicates: 0,
    });
    expect(target.tied).toEqual([
      {
        backend: 'lightrag',
        cohort: 'lightrag',
        outcome: { success: true, latencyMs: 700 },
        tie: { kind: 'decision', trial: null },
        unit,
        decisionId,
        tokenExpiry: expect.any(Number),
      },
    ]);
    // On its own instance the trial is this breaker's.
    const own = recording();
    const again = one.issue(decision({ breakerTrial: 2 }), alice);
    recordOutcomes({ decisionToken: again.decisionToken, success: true }, one, own);
    expect(own.tied[0]!.tie).toEqual({ kind: 'decision', trial: 2 });
  });

  it('a replay is a duplicate, not counted; a batch records the rest; the id and the token settle each other', () => {
    const { one, two } = fleet();
    const first = one.issue(decision());
    const second = one.issue(decision({ backend: 'perplexity', cohort: 'perplexity' }));
    const target = recording();
    recordOutcomes({ decisionToken: first.decisionToken, success: true }, two, target);
    expect(
      recordOutcomes(
        [
          { decisionToken: first.decisionToken, success: false },
          { decisionToken: second.decisionToken, success: true },
        ],
        two,
        target,
      ),
    ).toEqual({ recorded: 1, duplicates: 1 });
    expect(target.tied.map((each) => each.decisionId)).toEqual([
      first.decisionId,
      second.decisionId,
    ]);
    // By id first, then by token, on the issuing instance: one outcome.
    const third = one.issue(decision());
    recordOutcomes({ decisionId: third.decisionId, success: true }, one, target);
    expect(
      recordOutcomes({ decisionToken: third.decisionToken, success: true }, one, target),
    ).toEqual({ recorded: 0, duplicates: 1 });
    // By token first, then by id: the id is settled.
    const fourth = one.issue(decision());
    recordOutcomes({ decisionToken: fourth.decisionToken, success: true }, one, target);
    const byId = refusal(() =>
      recordOutcomes({ decisionId: fourth.decisionId, success: true }, one, target),
    );
    expect(byId.problems[0]?.message).toMatch(/already has its outcome/);
    // Twice in one batch is the client's mistake.
    const fifth = one.issue(decision());
    const twice = refusal(() =>
      recordOutcomes(
        [
          { decisionToken: fifth.decisionToken, success: true },
          { decisionToken: fifth.decisionToken, success: true },
        ],
        two,
        target,
      ),
    );
    expect(twice.problems).toEqual([expect.objectContaining({ index: 1, field: 'decisionToken' })]);
  });

  it('refuses forged, expired and keyless tokens with a reason code, and records nothing of the batch', () => {
    const { one, two, clock } = fleet();
    const good = one.issue(decision()).decisionToken!;
    const forged = new DecisionLedger({
      tokens: new DecisionTokens({
        keys: parseDecisionKeys('k1:a-different-secret-under-the-same-key-id-000000'),
        clock,
      }),
    }).issue(decision()).decisionToken;
    const target = recording();
    const error = refusal(() =>
      recordOutcomes(
        [
          { decisionToken: good, success: true },
          { decisionToken: forged, success: true },
          { decisionToken: 'fr1.k1.abc.def', success: true },
        ],
        two,
        target,
      ),
    );
    expect(error.code).toBe('INVALID_OUTCOME');
    expect(error.problems).toEqual([
      expect.objectContaining({ index: 1, field: 'decisionToken', reason: 'bad_signature' }),
      expect.objectContaining({ index: 2, field: 'decisionToken', reason: 'bad_signature' }),
    ]);
    expect(target.tied).toEqual([]);
    clock.advance(60_000);
    const expired = refusal(() =>
      recordOutcomes({ decisionToken: good, success: true }, two, target),
    );
    expect(expired.problems[0]).toMatchObject({ reason: 'expired' });
    expect(expired.problems[0]!.message).toMatch(/^decisionToken has expired/);
    const keyless = refusal(() =>
      recordOutcomes({ decisionToken: good, success: true }, new DecisionLedger(), target),
    );
    expect(keyless.problems[0]).toMatchObject({ reason: 'no_keys' });
  });

  it('refuses an outcome that contradicts its token: another backend, cohort or user', () => {
    const { one, two } = fleet();
    const { decisionToken } = one.issue(decision(), { id: 'alice', salt: SALT });
    const target = recording();
    for (const [fields, field] of [
      [{ backend: 'perplexity' }, 'backend'],
      [{ cohort: 'control' }, 'decision.cohort'],
      [{ userId: 'mallory' }, 'userId'],
    ] as const) {
      const error = refusal(() =>
        recordOutcomes({ decisionToken, success: true, ...fields }, two, target),
      );
      expect(error.problems[0]).toMatchObject({ field });
    }
    expect(recordOutcomes({ decisionToken, success: true, userId: 'alice' }, two, target)).toEqual({
      recorded: 1,
      duplicates: 0,
    });
  });

  it('beyond its memory a process refuses old tokens as forgotten rather than count one twice', () => {
    const { one, two } = fleet(3);
    const target = recording();
    const issued = Array.from({ length: 4 }, () => one.issue(decision()));
    for (const { decisionToken } of issued.slice(0, 3)) {
      recordOutcomes({ decisionToken, success: true }, two, target);
    }
    // The fourth settles and pushes the first out of memory: its replay cannot be recognised.
    recordOutcomes({ decisionToken: issued[3]!.decisionToken, success: true }, two, target);
    const replay = refusal(() =>
      recordOutcomes({ decisionToken: issued[0]!.decisionToken, success: true }, two, target),
    );
    expect(replay.problems[0]).toMatchObject({ reason: 'forgotten' });
    expect(
      recordOutcomes({ decisionToken: issued[3]!.decisionToken, success: true }, two, target),
    ).toEqual({ recorded: 0, duplicates: 1 });
    expect(target.tied).toHaveLength(4);
  });
});

describe('SettledDecisions: a bounded set with a floor', () => {
  it('never calls a settled id open, whatever was evicted', () => {
    const settled = new SettledDecisions(100);
    const seen: [string, number][] = [];
    for (let index = 0; index < 1000; index += 1) {
      const exp = 1000 + index;
      settled.settle(`id-${index}`, exp);
      seen.push([`id-${index}`, exp]);
    }
    expect(settled.size).toBe(100);
    for (const [id, exp] of seen) expect(settled.status(id, exp)).not.toBe('open');
    expect(settled.status('never-seen', 5000)).toBe('open');
  });
});
