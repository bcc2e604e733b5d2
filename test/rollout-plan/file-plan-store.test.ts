import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePlanStore, pendingState, statePaths } from '../../src/rollout-plan/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { planStoreConformance } from './plan-store-conformance.js';

const NOW = Date.UTC(2026, 0, 1);

async function emptyStore() {
  const { dir } = await tempConfigDir();
  return { dir, store: new FilePlanStore(join(dir, 'state'), 'development') };
}

describe('FilePlanStore: the plan store conformance cases', () => {
  let dir = '';
  planStoreConformance(async (same) => {
    if (!same) dir = (await emptyStore()).dir;
    return new FilePlanStore(join(dir, 'state'), 'development');
  });
});

describe('FilePlanStore on a plain file system', () => {
  it('a stale holder that wrote after the check is still not read: the highest token wins', async () => {
    const { dir, store } = await emptyStore();
    const { grant: stale } = await store.acquireLease('stale', NOW, 1000);
    const { grant: fresh } = await store.acquireLease('fresh', NOW + 1000, 1000);
    await store.writeState({ ...pendingState('development'), reason: 'fresh' }, fresh);
    // The stale holder's write that slipped between its check and its write: a later sequence
    // number under its lower token.
    const late = join(
      statePaths(join(dir, 'state'), 'development').state,
      `${String(stale.token).padStart(12, '0')}-000000000099.json`,
    );
    await writeFile(
      late,
      JSON.stringify({
        token: stale.token,
        state: { ...pendingState('development'), reason: 'stale' },
      }),
    );
    expect((await store.readState()).state.reason).toBe('fresh');
  });

  it('an unreadable newest state generation is skipped, named, and can be set aside', async () => {
    const { dir, store } = await emptyStore();
    const { grant } = await store.acquireLease('writer', NOW, 30_000);
    await store.writeState({ ...pendingState('development'), reason: 'good' }, grant);
    const broken = await store.writeState(
      { ...pendingState('development'), reason: 'broken' },
      grant,
    );
    const file = join(statePaths(join(dir, 'state'), 'development').state, broken);
    await writeFile(file, '{"token": 1, "state": ');
    const reading = await store.readState();
    expect(reading.state.reason).toBe('good');
    expect(reading.unreadable).toEqual([broken]);
    expect(reading.problems).toEqual([
      {
        reason: 'state_unreadable',
        message: expect.stringContaining(
          `the plan state file ${file} is not valid JSON (the text ends where a value (an object, a list, a string in double quotes, a number, true, false or null) was expected after ':' at column 23)`,
        ),
      },
    ]);
    expect(await store.setAsideState(broken)).toBe(`${file}.unreadable`);
    expect((await store.readState()).problems).toEqual([]);
  });

  it('an unreadable queued command is set aside, not applied, and reported naming the file', async () => {
    const { dir, store } = await emptyStore();
    await store.enqueueCommand({ action: 'pause', reason: 'fine' }, NOW);
    const commands = statePaths(join(dir, 'state'), 'development').commands;
    await writeFile(
      join(commands, '000000000000001-1-bad.json'),
      '{"action": "launch the rockets"}',
    );
    const { commands: taken, problems } = await store.takeCommands();
    expect(taken.map((item) => item.command.reason)).toEqual(['fine']);
    expect(problems).toEqual([
      {
        reason: 'command_unreadable',
        message: expect.stringMatching(
          /queued plan command .*000000000000001-1-bad\.json is valid JSON but not of the expected shape; set aside/,
        ),
      },
    ]);
    expect(await readdir(commands)).toContain('000000000000001-1-bad.json.unreadable');
  });

  it('reads the single state file of earlier versions until the first generation is written', async () => {
    const { dir, store } = await emptyStore();
    const { grant } = await store.acquireLease('upgrader', NOW, 30_000);
    const legacy = statePaths(join(dir, 'state'), 'development').legacyState;
    const old = {
      ...pendingState('development'),
      phase: 'running' as const,
      stage: 0,
      reason: 'from before',
    };
    await writeFile(legacy, JSON.stringify(old));
    expect((await store.readState()).state).toEqual(old);
    await store.writeState({ ...old, reason: 'now in generations' }, grant);
    expect((await store.readState()).state.reason).toBe('now in generations');
    await expect(readFile(legacy)).rejects.toThrow(/ENOENT/);
  });

  it('repairs its own lease when its file is unreadable or gone, and says so', async () => {
    const { dir, store } = await emptyStore();
    const { grant } = await store.acquireLease('holder', NOW, 30_000);
    const leaseDir = statePaths(join(dir, 'state'), 'development').lease;
    const generation = join(leaseDir, `${String(grant.token).padStart(12, '0')}.json`);
    await writeFile(generation, 'garbage');
    expect(await store.renewLease(grant, NOW + 1)).toEqual([
      {
        reason: 'lease_unreadable',
        message: expect.stringContaining(
          `the lease file ${generation} is not valid JSON (a word JSON does not know: strings take double quotes, and the only words are true, false and null at column 1)`,
        ),
      },
    ]);
    expect(await store.renewLease(grant, NOW + 2)).toEqual([]);
    expect(await store.readLease(NOW + 3)).toMatchObject({ state: 'live', holder: 'holder' });
  });
});
