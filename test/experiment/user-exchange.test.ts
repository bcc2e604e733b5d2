import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { keyHash } from '../../src/experiment/key-slots.js';
import { readPart } from '../../src/experiment/read-event-part.js';
import { ownerOf, UserExchange, type UserShareSink } from '../../src/experiment/user-exchange.js';
import { METRIC_TABLE } from '../../src/metrics/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';

/** A sink that records what it was given. */
function recorder(): UserShareSink & {
  outcomes: [string, number, number[]][];
  exposures: [string, number][];
} {
  const outcomes: [string, number, number[]][] = [];
  const exposures: [string, number][] = [];
  return {
    outcomes,
    exposures,
    outcome: (key, _hash, arm, values, at) =>
      outcomes.push([key, arm, [...values.subarray(at, at + METRIC_TABLE.length)]]),
    exposure: (key, _hash, arm) => exposures.push([key, arm]),
  };
}

/** Two threads' exchanges over one channel, in this thread. */
function pair() {
  const { port1, port2 } = new MessageChannel();
  const sinks = [recorder(), recorder()] as const;
  const exchanges = [
    new UserExchange(0, [undefined, port1], sinks[0]),
    new UserExchange(1, [port2, undefined], sinks[1]),
  ] as const;
  return { sinks, exchanges };
}

/** `count` keys that `ownerOf` gives to thread `thread` of two. */
function keysOf(thread: number, count: number): string[] {
  const keys: string[] = [];
  for (let index = 0; keys.length < count; index += 1) {
    if (ownerOf(`user-${index}`, 2) === thread) keys.push(`user-${index}`);
  }
  return keys;
}

describe('sharing users out between the threads reading one file', () => {
  it('gives every key one owner, and each of a few threads about its share of them', () => {
    for (const threads of [2, 3, 8]) {
      const counts = new Array<number>(threads).fill(0);
      for (let index = 0; index < 30_000; index += 1) {
        counts[ownerOf(index.toString(16).padStart(32, '0'), threads)]! += 1;
      }
      for (const count of counts)
        expect(Math.abs(count / (30_000 / threads) - 1)).toBeLessThan(0.1);
    }
  });

  it("keeps its own users' shares and sends the others' to their thread, exposures too", async () => {
    const { sinks, exchanges } = pair();
    const values = new Float64Array(METRIC_TABLE.length).fill(Number.NaN);
    values[0] = 1;
    const [mine, theirs] = [keysOf(0, 3), keysOf(1, 3)];
    for (const key of [...mine, ...theirs]) exchanges[0].outcome(key, keyHash(key), 1, values, 0);
    exchanges[0].exposure(theirs[0]!, keyHash(theirs[0]!), 0);
    await Promise.all([exchanges[0].finish(), exchanges[1].finish()]);
    for (const exchange of exchanges) exchange.close();
    expect(sinks[0].outcomes.map(([key]) => key)).toEqual(mine);
    expect(sinks[1].outcomes.map(([key]) => key)).toEqual(theirs);
    expect(sinks[1].outcomes[0]![2].slice(0, 2)).toEqual([1, Number.NaN]);
    expect(sinks[1].exposures).toEqual([[theirs[0], 0]]);
  });

  it('says reading must wait while 64 batches are not yet folded by their only other thread, and when it may go on', async () => {
    const { sinks, exchanges } = pair();
    const values = new Float64Array(METRIC_TABLE.length);
    const theirs = keysOf(1, 100);
    // 64 batches of 4096 shares, sent before the other side could fold any of them.
    const send = (count: number) => {
      for (let index = 0; index < count; index += 1) {
        const key = theirs[index % theirs.length]!;
        exchanges[0].outcome(key, keyHash(key), 0, values, 0);
      }
    };
    send(63 * 4096);
    expect(exchanges[0].backlogged()).toBe(false);
    send(4096);
    expect(exchanges[0].backlogged()).toBe(true);
    exchanges[0].outcome(theirs[0]!, keyHash(theirs[0]!), 0, values, 0);
    await new Promise<void>((resolve) => exchanges[0].onRelieved(resolve));
    expect(exchanges[0].backlogged()).toBe(false);
    expect(sinks[1].outcomes.length).toBeGreaterThanOrEqual(4096);
    await Promise.all([exchanges[0].finish(), exchanges[1].finish()]);
    for (const exchange of exchanges) exchange.close();
    expect(sinks[1].outcomes).toHaveLength(64 * 4096 + 1);
  });

  it('a reader told to wait reads no further chunk until it is relieved', async () => {
    const { dir } = await tempConfigDir();
    const file = join(dir, 'events.jsonl');
    const line = `{"time":"2026-12-01T00:00:00Z","unit":"u1","cohort":"lightrag","backend":"lightrag","success":true}\n`;
    writeFileSync(file, line.repeat(Math.ceil((3 * 1024 * 1024) / line.length)));
    let waiting = true;
    let askedWhileWaiting = 0;
    let relieve: (() => void) | undefined;
    const folded: unknown[] = [];
    const reading = readPart(
      file,
      {},
      { add: (event) => folded.push(event), addExposure: () => {} },
      undefined,
      {
        maxLineBytes: 4096,
        onDecisionId: () => {},
        throttle: {
          backlogged: () => {
            if (waiting) askedWhileWaiting += 1;
            return waiting;
          },
          onRelieved: (resume) => {
            relieve = resume;
          },
        },
      },
    );
    await vi.waitFor(() => expect(relieve).toBeDefined());
    const firstChunk = folded.length;
    // Reading the whole file again takes the I/O threads past where a reader that went on
    // would have handed over its next chunk.
    await readFile(file);
    expect(folded.length).toBe(firstChunk);
    expect(askedWhileWaiting).toBe(1);
    waiting = false;
    relieve!();
    const part = await reading;
    expect(folded.length).toBe(part.lines);
    expect(part.lines).toBeGreaterThan(firstChunk);
  });
});
