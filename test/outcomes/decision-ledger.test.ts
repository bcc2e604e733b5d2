import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decision/types.js';
import { DecisionTokens, parseDecisionKeys } from '../../src/decision-tokens/index.js';
import { DecisionLedger, ledgerMissMessage, unitKey } from '../../src/outcomes/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const decision = (overrides: Partial<Decision> = {}): Decision =>
  ({ backend: 'lightrag', cohort: 'lightrag', ...overrides }) as Decision;

describe('DecisionLedger', () => {
  it('gives back each decision under its id, for every backend, cohort and trial', () => {
    const ledger = new DecisionLedger();
    const kinds = [
      decision(),
      decision({ backend: 'perplexity', cohort: 'perplexity' }),
      decision({ backend: 'perplexity', cohort: 'control' }),
      decision({ backend: 'perplexity', cohort: null }),
      decision({ breakerTrial: 7 }),
    ];
    const ids = kinds.map((kind) => ledger.remember(kind));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.map((id) => ledger.find(id))).toEqual([
      { backend: 'lightrag', cohort: 'lightrag' },
      { backend: 'perplexity', cohort: 'perplexity' },
      { backend: 'perplexity', cohort: 'control' },
      { backend: 'perplexity', cohort: null },
      { backend: 'lightrag', cohort: 'lightrag', breakerTrial: 7 },
    ]);
  });

  it('takes one outcome per id', () => {
    const ledger = new DecisionLedger();
    const id = ledger.remember(decision());
    expect(ledger.settle(id)).toEqual({ backend: 'lightrag', cohort: 'lightrag' });
    expect(ledger.settle(id)).toBe('settled');
    expect(ledger.find(id)).toBe('settled');
  });

  it('releases a settled id whose outcome was not written, and its token with it; nothing else', () => {
    const clock = new FakeClock();
    const ledger = new DecisionLedger({
      tokens: new DecisionTokens({
        keys: parseDecisionKeys('k1:the-secret-of-the-decision-ledger-tests-0123456789'),
        clock,
        ttlMs: 60_000,
      }),
    });
    const { decisionId, decisionToken } = ledger.issue(
      decision({ bucket: 3.5, configVersion: 'cfg', rolloutPercentage: 10 }),
    );
    const other = ledger.remember(decision());
    ledger.settle(decisionId);
    expect(ledger.checkToken(decisionToken!)).toMatchObject({ ok: true, status: 'duplicate' });
    ledger.release(decisionId);
    expect(ledger.find(decisionId)).toEqual({ backend: 'lightrag', cohort: 'lightrag' });
    expect(ledger.checkToken(decisionToken!)).toMatchObject({ ok: true, status: 'open' });
    // An id not settled, or not this ledger's, is left as it is.
    ledger.release(other);
    ledger.release('elsewhere-1');
    expect(ledger.find(other)).toEqual({ backend: 'lightrag', cohort: 'lightrag' });
    expect(ledger.settle(decisionId)).toEqual({ backend: 'lightrag', cohort: 'lightrag' });
    expect(ledger.find(decisionId)).toBe('settled');
  });

  it('expires ids by age (injected clock) and by being pushed out of the ring', () => {
    let now = 0;
    const ledger = new DecisionLedger({ size: 3, ttlMs: 1000, now: () => now });
    const old = ledger.remember(decision());
    now = 1000;
    expect(ledger.find(old)).toEqual({ backend: 'lightrag', cohort: 'lightrag' });
    now = 1001;
    expect(ledger.find(old)).toBe('expired');
    const first = ledger.remember(decision({ breakerTrial: 1 }));
    for (let i = 0; i < 3; i += 1) ledger.remember(decision({ cohort: 'control' }));
    expect(ledger.find(first)).toBe('expired');
  });

  it("does not take another ledger's ids, forged ids or ids not yet issued", () => {
    const ledger = new DecisionLedger();
    const other = new DecisionLedger();
    const theirs = other.remember(decision());
    const mine = ledger.remember(decision());
    const prefix = mine.slice(0, mine.lastIndexOf('-') + 1);
    expect(ledger.find(theirs)).toBe('unknown');
    for (const forged of [`${prefix}zz`, `${prefix}`, `${prefix}-1`, `${prefix}0x`, 'x', '']) {
      expect(ledger.find(forged)).toBe('unknown');
    }
    ledger.clear();
    expect(ledger.find(mine)).toBe('unknown');
  });

  it("keeps each decision's user as its 128-bit unit key, for the slot's life only", () => {
    const ledger = new DecisionLedger({ size: 2 });
    const salt = 'ledger-salt';
    const alice = ledger.issue(decision(), { id: 'alice', salt }).decisionId;
    const nobody = ledger.issue(decision(), { id: undefined, salt }).decisionId;
    expect(ledger.find(alice)).toEqual({
      backend: 'lightrag',
      cohort: 'lightrag',
      unit: unitKey('alice', salt),
    });
    expect(ledger.find(nobody)).toEqual({ backend: 'lightrag', cohort: 'lightrag' });
    // The slot is reused: the next decision has its own user, or none.
    const bob = ledger.issue(decision(), { id: 'bob', salt }).decisionId;
    const none = ledger.issue(decision({ cohort: 'control' })).decisionId;
    expect(ledger.find(bob)).toMatchObject({ unit: unitKey('bob', salt) });
    expect(ledger.find(none)).toEqual({ backend: 'lightrag', cohort: 'control' });
    expect(unitKey('bob', salt)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives every user the unit key of their id under the salt of their decision', () => {
    // Ids of any length and characters (kept as characters, or hashed at once when they do not
    // fit), salts that change between decisions, more salts than the ledger tells apart, slots
    // reused: an outcome sees unitKey(id, salt) whichever way the slot held the user.
    const user = fc.record({
      id: fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 60 })),
      salt: fc.oneof(fc.constantFrom('a', 'b', ''), fc.string({ maxLength: 4 })),
    });
    fc.assert(
      fc.property(fc.array(user, { minLength: 1, maxLength: 40 }), (users) => {
        const ledger = new DecisionLedger({ size: 16 });
        const ids = users.map((each) => ledger.issue(decision(), each).decisionId);
        for (const [index, { id, salt }] of users.entries()) {
          if (index < users.length - 16) continue;
          expect(ledger.find(ids[index]!)).toMatchObject({ unit: unitKey(id, salt) });
        }
      }),
    );
    const ledger = new DecisionLedger({ size: 300 });
    const ids = Array.from(
      { length: 300 },
      (_, index) =>
        ledger.issue(decision(), { id: `user-${index}`, salt: `salt-${index}` }).decisionId,
    );
    for (const [index, id] of ids.entries()) {
      expect(ledger.find(id)).toMatchObject({ unit: unitKey(`user-${index}`, `salt-${index}`) });
    }
    // Ids around the length kept as characters, each slot's neighbours written after it.
    const lengths = [0, 1, 36, 47, 48, 49, 60, 200];
    const byLength = new DecisionLedger({ size: lengths.length });
    const issued = lengths.map(
      (length) => byLength.issue(decision(), { id: 'é'.repeat(length), salt: 's' }).decisionId,
    );
    for (const [index, length] of lengths.entries()) {
      expect(byLength.find(issued[index]!)).toMatchObject({
        unit: unitKey('é'.repeat(length), 's'),
      });
    }
  });

  it('says why an id takes no outcome', () => {
    expect(ledgerMissMessage('unknown')).toMatch(/not a decision this server made/);
    expect(ledgerMissMessage('expired')).toMatch(/15 minutes/);
    expect(ledgerMissMessage('settled')).toMatch(/already has its outcome/);
  });
});
