/**
 * A worker thread of `readEventFiles`: reads one byte range of an event file, tallies the users
 * it owns (the others' shares go to their threads, see `UserExchange`) and sends back what it
 * folded, as plain data (typed arrays are transferred, not copied).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { FINGERPRINT, FingerprintList, fingerprint } from './decision-ids.js';
import { EventAccumulator } from './event-accumulator.js';
import { type Range, readPart } from './read-event-part.js';
import type { PartResult } from './read-events.js';
import { UserExchange } from './user-exchange.js';

const { file, range, maxLineBytes, thread, ports } = workerData as {
  file: string;
  range: Range;
  maxLineBytes: number;
  /** This thread's number among the file's readers (0 is the thread that started it). */
  thread: number;
  /** A port to each other reader, by its number. */
  ports: (MessagePort | undefined)[];
};
let unreported = 0;
const accumulator = new EventAccumulator();
const exchange = new UserExchange(thread, ports, accumulator.ownUsers());
accumulator.routeUsers(exchange);
const decisionIds = new FingerprintList();
const lines = await readPart(
  file,
  range,
  accumulator,
  (bytes) => {
    unreported += bytes;
    if (unreported >= 8 * 1024 * 1024) {
      parentPort!.postMessage({ progress: unreported });
      unreported = 0;
    }
  },
  {
    maxLineBytes,
    onDecisionId(id, line) {
      fingerprint(id);
      decisionIds.push(FINGERPRINT.high, FINGERPRINT.low, line);
    },
    throttle: exchange,
  },
);
await exchange.finish();
exchange.close();
if (unreported > 0) parentPort!.postMessage({ progress: unreported });
const state = accumulator.exportState();
const part: PartResult = { ...lines, state, decisionIds: decisionIds.export() };
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
  part.decisionIds.buffer as ArrayBuffer,
]);
