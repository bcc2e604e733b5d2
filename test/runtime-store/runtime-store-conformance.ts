import { afterEach, describe, expect, it } from 'vitest';
import type { FlagrouteError } from '../../src/errors.js';
import type { KillSwitch, RuntimeLayer } from '../../src/rollout-layers/index.js';
import { pendingState } from '../../src/rollout-plan/index.js';
import type { RuntimeStore, StoreChange } from '../../src/runtime-store/index.js';
import { planStoreConformance } from '../rollout-plan/plan-store-conformance.js';

/**
 * How the suite gets stores. `open()` gives a new, empty store of environment `development`
 * (no runtime layer, no kill switch, no plan, no lease); `openSame(store)` another handle on
 * the same data, as another instance of the fleet would have (another connection, another
 * process's files). The suite closes every store it opened (`store.close()`), then calls
 * `cleanUp` (drop the database, remove the directory) when given.
 */
export interface RuntimeStoreFactory {
  open(): Promise<RuntimeStore>;
  openSame(store: RuntimeStore): Promise<RuntimeStore>;
  cleanUp?(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 1);
const TTL = 30_000;
const AT = '2026-01-01T00:00:00.000Z';
/** How long a subscriber may take to hear of a change (a condition is polled until then). */
const DEADLINE_MS = 10_000;

function runtime(percentage: number, setBy: RuntimeLayer['setBy'] = 'operator'): RuntimeLayer {
  return { percentage, setBy, reason: `to ${percentage}`, at: AT };
}

function killSwitch(reason: string): KillSwitch {
  return { trigger: 'manual', reason, at: AT, previousPercentage: 30 };
}

async function refusal(work: Promise<unknown>): Promise<Error> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** Waits until `condition` holds, polling; fails naming `what` after the deadline. */
async function until(condition: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * What every runtime store must do, whatever keeps it (files, PostgreSQL): the plan store's
 * cases (lease, fencing, state, commands) and the runtime layer's, the kill switch's, the
 * fenced runtime write's and the subscription's. Nothing here assumes a file system. Run it as
 * `describe('MyStore', () => runtimeStoreConformance(factory))`.
 */
export function runtimeStoreConformance(factory: RuntimeStoreFactory): void {
  const opened: RuntimeStore[] = [];
  let last: RuntimeStore | undefined;
  const open = async () => {
    last = await factory.open();
    opened.push(last);
    return last;
  };
  const openSame = async (store: RuntimeStore) => {
    const same = await factory.openSame(store);
    opened.push(same);
    return same;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await factory.cleanUp?.();
  });

  describe('the plan store cases', () => {
    planStoreConformance(async (same) => (same && last ? openSame(last) : open()));
  });

  describe('the runtime layer and the kill switch', () => {
    it('starts with neither', async () => {
      const store = await open();
      expect(await store.readRuntime()).toEqual({ runtime: null, killSwitch: null });
    });

    it('a runtime layer written is read whole by another instance, and cleared', async () => {
      const store = await open();
      const written = await store.updateRuntime({ runtime: runtime(15, 'plan') });
      expect(written).toEqual({
        before: { runtime: null, killSwitch: null },
        after: { runtime: runtime(15, 'plan'), killSwitch: null },
      });
      const other = await openSame(store);
      expect(await other.readRuntime()).toEqual({ runtime: runtime(15, 'plan'), killSwitch: null });
      await other.updateRuntime({ runtime: runtime(40) });
      expect((await store.readRuntime()).runtime).toEqual(runtime(40));
      const cleared = await store.updateRuntime({ runtime: null });
      expect(cleared.before.runtime).toEqual(runtime(40));
      expect(await other.readRuntime()).toEqual({ runtime: null, killSwitch: null });
    });

    it('the kill switch is kept as first engaged, leaves the runtime layer beneath it, and lifts', async () => {
      const store = await open();
      await store.updateRuntime({ runtime: runtime(30) });
      await store.updateRuntime({ killSwitch: killSwitch('first') });
      const again = await store.updateRuntime({ killSwitch: killSwitch('second') });
      expect(again.after).toEqual({ runtime: runtime(30), killSwitch: killSwitch('first') });
      const lifted = await (await openSame(store)).updateRuntime({ killSwitch: null });
      expect(lifted.before.killSwitch).toEqual(killSwitch('first'));
      expect(await store.readRuntime()).toEqual({ runtime: runtime(30), killSwitch: null });
    });

    it('a change that must not move the rollout from under a kill switch is refused, nothing written', async () => {
      const store = await open();
      await store.updateRuntime({ runtime: runtime(5, 'plan'), killSwitch: killSwitch('pager') });
      const refused = await refusal(
        store.updateRuntime({ runtime: runtime(15, 'plan'), unlessKillSwitch: true }),
      );
      expect((refused as FlagrouteError).code).toBe('KILL_SWITCH_ENGAGED');
      expect(refused.message).toContain('pager');
      expect(await store.readRuntime()).toEqual({
        runtime: runtime(5, 'plan'),
        killSwitch: killSwitch('pager'),
      });
    });

    it('concurrent changes from several instances are never lost', async () => {
      const store = await open();
      const instances = [store, ...(await Promise.all([1, 2, 3].map(() => openSame(store))))];
      for (let round = 0; round < 12; round += 1) {
        await store.updateRuntime({ killSwitch: null });
        const percentage = 10 + round;
        // A plan stage, a person's rollback and two readers at once: both writes must stand.
        await Promise.all([
          instances[1]!.updateRuntime({ runtime: runtime(percentage, 'plan') }),
          instances[2]!.updateRuntime({ killSwitch: killSwitch(`round ${round}`) }),
          instances[3]!.readRuntime(),
          store.readRuntime(),
        ]);
        expect(await instances[3]!.readRuntime()).toEqual({
          runtime: runtime(percentage, 'plan'),
          killSwitch: killSwitch(`round ${round}`),
        });
      }
    });

    it('a fenced write needs the live lease: a controller that lost it writes nothing', async () => {
      const store = await open();
      const { grant: first } = await store.acquireLease('first', NOW, TTL);
      await store.updateRuntime({ runtime: runtime(5, 'plan') }, first);
      const other = await openSame(store);
      const { grant: second } = await other.acquireLease('second', NOW + TTL + 1, TTL);
      expect(second.token).toBeGreaterThan(first.token);
      await refusal(store.updateRuntime({ runtime: runtime(15, 'plan') }, first));
      expect((await other.readRuntime()).runtime).toEqual(runtime(5, 'plan'));
      await other.updateRuntime({ runtime: runtime(15, 'plan') }, second);
      // A person's change carries no fence and needs no lease.
      await store.updateRuntime({ killSwitch: killSwitch('pager') });
      expect(await other.readRuntime()).toEqual({
        runtime: runtime(15, 'plan'),
        killSwitch: killSwitch('pager'),
      });
    });
  });

  describe('subscribe', () => {
    it('hears the runtime state now, then changes, plan states and commands from another instance', async () => {
      const store = await open();
      const heard: StoreChange[] = [];
      const stop = store.subscribe((change) => heard.push(change));
      const runtimeHeard = (predicate: (change: StoreChange & { kind: 'runtime' }) => boolean) =>
        heard.some((change) => change.kind === 'runtime' && predicate(change));
      const said = () => JSON.stringify(heard);
      await until(
        () => runtimeHeard((change) => change.state.runtime === null),
        () => `the runtime state at the start, heard ${said()}`,
      );
      const other = await openSame(store);
      await other.updateRuntime({ runtime: runtime(25) });
      await until(
        () => runtimeHeard((change) => change.state.runtime?.percentage === 25),
        () => `the runtime layer at 25 %, heard ${said()}`,
      );
      await other.updateRuntime({ killSwitch: killSwitch('pager') });
      await until(
        () => runtimeHeard((change) => change.state.killSwitch?.reason === 'pager'),
        () => `the kill switch, heard ${said()}`,
      );
      const { grant } = await other.acquireLease('controller', NOW, TTL);
      await other.writeState({ ...pendingState('development'), reason: 'written' }, grant);
      await until(
        () => heard.some((change) => change.kind === 'plan'),
        () => `a plan state, heard ${said()}`,
      );
      await other.enqueueCommand({ action: 'pause', reason: 'lunch' }, NOW);
      await until(
        () => heard.some((change) => change.kind === 'commands'),
        () => `a queued command, heard ${said()}`,
      );
      stop();
    });

    it('each subscriber hears every change; stopping one leaves the others', async () => {
      const store = await open();
      const [first, second]: StoreChange[][] = [[], []];
      const stopFirst = store.subscribe((change) => first!.push(change));
      const stopSecond = store.subscribe((change) => second!.push(change));
      stopFirst();
      await (await openSame(store)).updateRuntime({ runtime: runtime(60) });
      await until(
        () =>
          second!.some(
            (change) => change.kind === 'runtime' && change.state.runtime?.percentage === 60,
          ),
        () => `the runtime layer at 60 %, heard ${JSON.stringify(second)}`,
      );
      stopSecond();
    });
  });
}
