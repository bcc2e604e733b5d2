/**
 * The paced client's sender (a worker thread of paced-load.ts): it sleeps until each request is
 * due (`Atomics.wait`, a futex with a timeout of microseconds), takes an idle connection and
 * writes the request's ready bytes to its socket itself (`writeSync` on the socket's descriptor,
 * which the reader's thread opened and reads). Nothing else runs on this thread, so a request
 * leaves when the kernel wakes it, whatever the reader is doing; and it does not wait for a
 * message to wake another thread, which is what made the client late before (see
 * docs/performance.md). A request due while every connection is busy waits here, in order, and
 * the reader is asked to open another connection, up to {@link MAX_CONNECTIONS}.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { OFREP_PATH, ofrepBodies, ofrepRequest } from './ofrep-traffic.js';
import {
  CONTROL,
  epochNow,
  INITIAL_CONNECTIONS,
  MAX_CONNECTIONS,
  pacedSlots,
  SLOT,
  WARM_UP_MS,
} from './paced-slots.js';
import { BACKLOG } from './sustained-rate.js';

/** What the reader gives the sender. */
export interface SenderData {
  buffer: SharedArrayBuffer;
  /** The server's origin. */
  url: string;
  rate: number;
  total: number;
  /** The seed of the run's Zipf draw of users. */
  seed: number;
}

/** The sender's messages to the reader. */
export type SenderMessage =
  | { kind: 'ready' }
  | { kind: 'open'; count: number }
  | { kind: 'sent'; queued: number; backlogged: number; sendErrors: number };

const { buffer, url, rate, total, seed } = workerData as SenderData;
const slots = pacedSlots(total, buffer);
const { control, state, fd, request, dispatched } = slots;
const target = new URL(OFREP_PATH, url);
const requests = ofrepBodies(total, seed).map((body) => ofrepRequest(target, body));
const tell = (message: SenderMessage) => parentPort!.postMessage(message);

tell({ kind: 'ready' });
for (;;) {
  const seen = Atomics.load(control, CONTROL.signal);
  if (Atomics.load(control, CONTROL.started) === 1) break;
  Atomics.wait(control, CONTROL.signal, seen);
}

const start = slots.start[0]!;
const intervalMs = 1000 / rate;
const measuredFrom = Math.ceil((WARM_UP_MS * rate) / 1000);
/** Requests taken off the schedule that found no idle connection, in order; `head` is the first. */
const waiting: number[] = [];
let head = 0;
let next = 0;
let cursor = 0;
let asked = 0;
let queued = 0;
/** Measured requests due with at least {@link BACKLOG} requests unanswered ahead. */
let backlogged = 0;
let sendErrors = 0;

/** An idle connection's slot, now busy, or -1; round the slots from the last one taken. */
function takeIdle(): number {
  const opened = Atomics.load(control, CONTROL.opened);
  for (let step = 0; step < opened; step += 1) {
    const slot = (cursor + step) % opened;
    if (Atomics.compareExchange(state, slot, SLOT.idle, SLOT.busy) === SLOT.idle) {
      cursor = slot + 1;
      return slot;
    }
  }
  return -1;
}

/** Whether a connection is open or opening. */
function anyAlive(): boolean {
  const opened = Atomics.load(control, CONTROL.opened);
  for (let slot = 0; slot < opened; slot += 1) {
    if (Atomics.load(state, slot) !== SLOT.dead) return true;
  }
  return false;
}

function send(slot: number, index: number): void {
  Atomics.store(request, slot, index);
  Atomics.add(control, CONTROL.outstanding, 1);
  const bytes = requests[index]!;
  try {
    if (writeSync(fd[slot]!, bytes) !== bytes.length) throw new Error('short write');
  } catch {
    // The connection is gone (the reader sees it close too): whoever marks it dead first counts
    // its request as failed.
    if (Atomics.compareExchange(state, slot, SLOT.busy, SLOT.dead) === SLOT.busy) {
      sendErrors += 1;
      Atomics.sub(control, CONTROL.outstanding, 1);
    }
  }
}

for (;;) {
  const seen = Atomics.load(control, CONTROL.signal);
  while (head < waiting.length) {
    const slot = takeIdle();
    if (slot < 0) break;
    send(slot, waiting[head++]!);
  }
  const now = epochNow();
  while (next < total && start + next * intervalMs <= now) {
    dispatched[next] = now;
    const ahead = Atomics.load(control, CONTROL.outstanding) + waiting.length - head;
    if (ahead >= BACKLOG && next >= measuredFrom) backlogged += 1;
    const slot = head === waiting.length ? takeIdle() : -1;
    if (slot >= 0) send(slot, next);
    else {
      waiting.push(next);
      if (next >= measuredFrom) queued += 1;
    }
    next += 1;
  }
  const short = waiting.length - head;
  const opening = asked - (Atomics.load(control, CONTROL.connected) - INITIAL_CONNECTIONS);
  const more = Math.min(short - opening, MAX_CONNECTIONS - INITIAL_CONNECTIONS - asked);
  if (more > 0) {
    asked += more;
    tell({ kind: 'open', count: more });
  }
  if (short > 0 && more <= 0 && opening === 0 && !anyAlive()) {
    // Every connection is gone and no more may be opened (the server is down): what waits fails.
    sendErrors += short;
    head = waiting.length;
  }
  Atomics.store(control, CONTROL.waiting, waiting.length - head);
  if (next === total && head === waiting.length) break;
  // Until the next request is due, or (all sent) until a connection frees; the reader's signal
  // wakes this thread early whenever a connection becomes idle.
  const wait = next < total ? start + next * intervalMs - epochNow() : 1000;
  if (wait > 0) Atomics.wait(control, CONTROL.signal, seen, wait);
}
tell({ kind: 'sent', queued, backlogged, sendErrors });
