import { expect, it } from 'vitest';
import { FlagrouteError } from '../../src/errors.js';
import {
  CLOCK_SKEW_BOUND_MS,
  FaultError,
  type LeaseGrant,
  type PlanState,
  type PlanStore,
  pendingState,
} from '../../src/rollout-plan/index.js';

const NOW = Date.UTC(2026, 0, 1);
const TTL = 30_000;

function running(stage: number, reason: string): PlanState {
  return { ...pendingState('development'), phase: 'running', stage, stageStartedAt: NOW, reason };
}

async function refusal(work: Promise<unknown>): Promise<FlagrouteError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FlagrouteError);
  return error as FlagrouteError;
}

/**
 * What every plan store must do, whatever keeps it (a directory, a database): run with
 * `describe(..., () => planStoreConformance(makeStore))`, where `makeStore` gives an empty store
 * of environment `development`, a new one (on the same data) each call with `same: true`.
 */
export function planStoreConformance(makeStore: (same?: boolean) => Promise<PlanStore>): void {
  it('starts empty: the lease is free, the plan pending, no command queued', async () => {
    const store = await makeStore();
    expect(await store.readLease(NOW)).toEqual({ state: 'free', token: 0 });
    const reading = await store.readState();
    expect(reading).toMatchObject({ generation: null, problems: [] });
    expect(reading.state).toEqual(pendingState('development'));
    expect((await store.takeCommands()).commands).toEqual([]);
  });

  it('one holder at a time: a live lease is refused to another, naming its holder', async () => {
    const store = await makeStore();
    const { grant } = await store.acquireLease('first', NOW, TTL);
    expect(grant).toMatchObject({ holder: 'first', ttlMs: TTL });
    expect(await store.readLease(NOW + 1000)).toMatchObject({
      state: 'live',
      token: grant.token,
      holder: 'first',
      heartbeatAt: NOW,
      expiresAt: NOW + TTL,
    });
    const refused = await refusal(store.acquireLease('second', NOW + 1000, TTL));
    expect(refused.code).toBe('PLAN_CONFLICT');
    expect(refused.message).toMatch(/another controller drives development: first, last heartbeat/);
  });

  it('two controllers taking a free lease at the same moment: exactly one wins', async () => {
    const stores = [await makeStore()];
    for (let index = 1; index < 12; index += 1) stores.push(await makeStore(true));
    const outcomes = await Promise.allSettled(
      stores.map((store, index) => store.acquireLease(`contender-${index}`, NOW, TTL)),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect((outcome.reason as FlagrouteError).code).toBe('PLAN_CONFLICT');
    }
    const winner = (won[0] as PromiseFulfilledResult<{ grant: LeaseGrant }>).value.grant;
    expect(await stores[0]!.readLease(NOW)).toMatchObject({ state: 'live', holder: winner.holder });
  });

  it('an expired lease is taken over with a higher token; the renewals keep a lease alive', async () => {
    const store = await makeStore();
    const { grant: first } = await store.acquireLease('first', NOW, TTL);
    await store.renewLease(first, NOW + 20_000);
    expect(await store.readLease(NOW + 45_000)).toMatchObject({
      state: 'live',
      expiresAt: NOW + 50_000,
    });
    expect(await store.readLease(NOW + 50_000)).toMatchObject({
      state: 'expired',
      holder: 'first',
    });
    const taken = await store.acquireLease('second', NOW + 50_000, TTL);
    expect(taken.grant.token).toBeGreaterThan(first.token);
    expect(taken.previous).toMatchObject({ state: 'expired', holder: 'first' });
  });

  it('a heartbeat further ahead than the time to live plus the skew bound is invalid and taken over', async () => {
    const store = await makeStore();
    const future = NOW + TTL + CLOCK_SKEW_BOUND_MS + 1;
    await store.acquireLease('clock-ahead', future, TTL);
    const reading = await store.readLease(NOW);
    expect(reading).toMatchObject({ state: 'invalid', holder: 'clock-ahead' });
    expect(reading.state === 'invalid' && reading.why).toMatch(
      /lies further ahead than the lease's time to live/,
    );
    const taken = await store.acquireLease('sane', NOW, TTL);
    expect(taken.previous.state).toBe('invalid');
    // Within the bound, a heartbeat ahead is a live lease (clocks differ a little).
    const other = await makeStore();
    await other.acquireLease('a-little-ahead', NOW + TTL + CLOCK_SKEW_BOUND_MS - 1, TTL);
    expect((await other.readLease(NOW)).state).toBe('live');
  });

  it('fencing: a holder that lost its lease can neither renew, nor check, nor write the state', async () => {
    const store = await makeStore();
    const { grant: stale } = await store.acquireLease('stale', NOW, TTL);
    await store.writeState(running(0, 'by the stale holder'), stale);
    const { grant: fresh } = await store.acquireLease('fresh', NOW + TTL, TTL);
    await store.writeState(running(1, 'by the fresh holder'), fresh);
    for (const attempt of [
      () => store.renewLease(stale, NOW + TTL + 1),
      () => store.checkLease(stale),
      () => store.writeState(running(2, 'late write'), stale),
    ]) {
      const refused = await refusal(attempt());
      expect(refused).toBeInstanceOf(FaultError);
      expect((refused as FaultError).fault.reason).toBe('lease_lost');
      expect(refused.code).toBe('PLAN_CONFLICT');
      expect(refused.message).toMatch(/another controller drives development: fresh/);
    }
    expect((await store.readState()).state).toMatchObject({
      stage: 1,
      reason: 'by the fresh holder',
    });
    await store.checkLease(fresh);
  });

  it('the state written is the state read, newest first, by another store on the same data', async () => {
    const store = await makeStore();
    const { grant } = await store.acquireLease('writer', NOW, TTL);
    const first = await store.writeState(running(0, 'one'), grant);
    const second = await store.writeState(running(1, 'two'), grant);
    expect(second > first).toBe(true);
    const reading = await (await makeStore(true)).readState();
    expect(reading).toMatchObject({ generation: second, problems: [] });
    expect(reading.state).toEqual(running(1, 'two'));
  });

  it('a released lease is free at once, and the next holder gets a higher token', async () => {
    const store = await makeStore();
    const { grant } = await store.acquireLease('leaving', NOW, TTL);
    await store.releaseLease(grant, NOW + 1);
    expect(await store.readLease(NOW + 2)).toMatchObject({ state: 'free', releasedBy: 'leaving' });
    const next = await store.acquireLease('arriving', NOW + 2, TTL);
    expect(next.grant.token).toBeGreaterThan(grant.token);
    expect(next.previous).toMatchObject({ state: 'free', releasedBy: 'leaving' });
  });

  it('commands taken under a lease need the live lease: a holder that lost it takes none', async () => {
    const store = await makeStore();
    const { grant: stale } = await store.acquireLease('stale', NOW, TTL);
    const { grant: fresh } = await store.acquireLease('fresh', NOW + TTL, TTL);
    const id = await store.enqueueCommand({ action: 'pause', reason: 'freeze' }, NOW + TTL);
    const refused = await refusal(store.takeCommands(stale));
    expect((refused as FaultError).fault.reason).toBe('lease_lost');
    expect(refused.message).toMatch(/another controller drives development: fresh/);
    const { commands } = await (await makeStore(true)).takeCommands(fresh);
    expect(commands).toEqual([{ id, command: { action: 'pause', reason: 'freeze' } }]);
  });

  it('queued commands come out once, oldest first; their outcomes are read once', async () => {
    const store = await makeStore();
    const first = await store.enqueueCommand({ action: 'pause', reason: 'freeze' }, NOW);
    const second = await store.enqueueCommand({ action: 'resume', reason: 'thaw' }, NOW + 1);
    const { commands } = await (await makeStore(true)).takeCommands();
    expect(commands).toEqual([
      { id: first, command: { action: 'pause', reason: 'freeze' } },
      { id: second, command: { action: 'resume', reason: 'thaw' } },
    ]);
    expect((await store.takeCommands()).commands).toEqual([]);
    await store.acknowledgeCommand(first, {
      ok: true,
      phase: 'paused',
      reason: 'freeze',
      holder: 'h',
    });
    expect(await store.commandOutcome(second)).toBeUndefined();
    expect(await store.commandOutcome(first)).toEqual({
      ok: true,
      phase: 'paused',
      reason: 'freeze',
      holder: 'h',
    });
    expect(await store.commandOutcome(first)).toBeUndefined();
  });
}
