/**
 * A worker thread of `readEventFiles`: reads chunks of an event file as it claims them, tallies the users
 * it owns (the others' shares go to their threads, see `UserExchange`) and sends back what it
 * folded, as plain data (typed arrays are transferred, not copied); then checks the decision ids
 * of its partitions from every part of the file, as it is asked (see `RepeatedIds`).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { readClaimedChunks } from './claimed-chunks.js';
import { DecisionIdSet } from './decision-ids.js';
import { EventAccumulator } from './event-accumulator.js';
import type { Range } from './read-event-part.js';
import type { CheckRequest, CheckResult, PartResult } from './read-in-parts.js';
import { checkRepeats } from './repeated-ids.js';
import { UserExchange } from './user-exchange.js';

const { file, chunks, claims, maxLineBytes, thread, ports, partitions, readers } = workerData as {
  file: string;
  /** The file's chunks, and the counter its readers claim them from. */
  chunks: Range[];
  claims: Int32Array;
  maxLineBytes: number;
  /** This thread's number among the file's readers (0 is the thread that started it). */
  thread: number;
  /** A port to each other reader, by its number. */
  ports: (MessagePort | undefined)[];
  /** The decision ids' partitions, and the file's readers that check them. */
  partitions: number;
  readers: number;
};
let unreported = 0;
const accumulator = new EventAccumulator();
const exchange = new UserExchange(thread, ports, accumulator.ownUsers());
accumulator.routeUsers(exchange);
const read = await readClaimedChunks(
  file,
  chunks,
  claims,
  accumulator,
  (bytes) => {
    unreported += bytes;
    if (unreported >= 8 * 1024 * 1024) {
      parentPort!.postMessage({ progress: unreported });
      unreported = 0;
    }
  },
  { maxLineBytes, throttle: exchange, partitions, readers },
);
await exchange.finish();
exchange.close();
if (unreported > 0) parentPort!.postMessage({ progress: unreported });
const state = accumulator.exportState();
const part: PartResult = { chunks: read, state };
parentPort!.postMessage({ part }, [
  ...state.requests.map((moments) => moments.buffer as ArrayBuffer),
  state.arms.buffer as ArrayBuffer,
  state.exposed.buffer as ArrayBuffer,
  state.sums.buffer as ArrayBuffer,
  ...state.tails.values.flatMap(({ slots, arms, values }) => [
    slots.buffer as ArrayBuffer,
    arms.buffer as ArrayBuffer,
    values.buffer as ArrayBuffer,
  ]),
  ...read.flatMap((chunk) => chunk.ids.map((list) => list.buffer as ArrayBuffer)),
]);
const { check } = await new Promise<{ check: CheckRequest }>((resolve) =>
  parentPort!.once('message', resolve),
);
const sets = check.sets.map((set) => (set ? new DecisionIdSet(set) : undefined));
const checked: CheckResult = {
  repeats: checkRepeats(check.lists, sets, check.kept),
  sets: sets.map((set) => set?.exportState()),
};
parentPort!.postMessage({ checked }, [
  ...checked.sets.flatMap((set) => (set ? [set.table.buffer as ArrayBuffer] : [])),
]);
