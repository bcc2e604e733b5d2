/**
 * A worker thread of `readEventFiles`: reads one byte range of an event file and sends back
 * what it folded, as plain data (typed arrays are transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EventAccumulator } from './event-accumulator.js';
import { type PartResult, type Range, readPart } from './read-events.js';

const { file, range } = workerData as { file: string; range: Range };
let unreported = 0;
const accumulator = new EventAccumulator();
const lines = await readPart(file, range, accumulator, (bytes) => {
  unreported += bytes;
  if (unreported >= 8 * 1024 * 1024) {
    parentPort!.postMessage({ progress: unreported });
    unreported = 0;
  }
});
if (unreported > 0) parentPort!.postMessage({ progress: unreported });
const state = accumulator.exportState();
const part: PartResult = { ...lines, state };
parentPort!.postMessage({ part }, [
  ...state.requests.map((moments) => moments.buffer as ArrayBuffer),
  state.arms.buffer as ArrayBuffer,
  state.sums.buffer as ArrayBuffer,
]);
