/**
 * An open-loop load generator at a constant arrival rate, run as a process of its own:
 * `node paced-load.js ORIGIN RATE SECONDS [SEED]` (after a one-second warm-up)
 * sends OFREP single evaluations of a Zipf draw of users seeded with SEED (ofrep-traffic.ts). It
 * prints the line `measuring` when the warm-up ends (the bench starts the server's probe window
 * there), then one line of JSON: `{sent, measured, errors, p50Ms, p90Ms, p99Ms, maxMs}`, how well
 * the client itself kept to its schedule (`{lagP99Ms, lagMaxMs, achievedRate, onSchedule}`) and
 * whether the server kept pace (`backlogged`: requests due with at least 32 unanswered ahead;
 * `queued`: requests that waited for a connection; the connections opened in all and after the
 * warm-up).
 *
 * autocannon's `-R` gives each connection a per-second quota that resets on a one-second
 * interval, so "half the maximum rate" is full load for half of every second, and its
 * coordinated-omission correction adds synthetic samples; its p99 there measures the bursts, not
 * the server. Here request i is due at start + i/rate and its latency counts from that moment,
 * so a stalled server is charged for the requests it delayed (as wrk2 does).
 *
 * That holds only while this client sends each request when it is due. A client starved of CPU
 * sends late, and then charges its own delay to the server; so the lag between each request's
 * due time and the moment it left the schedule is measured too, and a run whose client was late
 * by more than {@link MAX_LAG_P99_MS} at the 99th percentile, or kept less than 98 % of the
 * rate, says it is not on schedule: its latencies are not the server's.
 *
 * Two threads, neither spinning. The sender (paced-sender.ts) sleeps until each request is due
 * and writes it to an idle connection's socket; this thread opens the connections and reads the
 * answers (with `onread` into one reused buffer: no stream, no allocation per answer) and times
 * each from its request's due time. A request due while every connection is busy waits in the
 * sender, timed from its due time all the same (`queued` counts them), and another connection
 * is opened for it, up to {@link MAX_CONNECTIONS}: a server's pause of a few milliseconds no
 * longer becomes seconds of queue behind 32 connections.
 *
 * On a machine whose cores the server under test shares, a woken thread of this client waits
 * for the running thread's time slice (a millisecond and more); the bench therefore runs it under
 * `chrt -f 1` (real-time, first in line; see http.ts) where allowed, as a load generator on
 * cores of its own would be. Its threads sleep between requests, so that
 * costs the server only the client's own few microseconds a request.
 */
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import type { SenderData, SenderMessage } from './paced-sender.js';
import {
  CONTROL,
  epochNow,
  INITIAL_CONNECTIONS,
  MAX_CONNECTIONS,
  pacedSlots,
  SLOT,
  WARM_UP_MS,
  wakeSender,
} from './paced-slots.js';

const [origin = '', rateText, secondsText, seedText = '1'] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const seed = Number(seedText);
if (!origin || !(rate > 0) || !(seconds > 0) || !Number.isInteger(seed)) {
  process.stderr.write('usage: paced-load ORIGIN RATE SECONDS [SEED]\n');
  process.exit(2);
}

/** The client's own lateness (99th percentile) beyond which its run is not the server's. */
const MAX_LAG_P99_MS = 1;

const target = new URL(origin);
const total = Math.round(rate * (seconds + WARM_UP_MS / 1000));
const intervalMs = 1000 / rate;
const measuredFrom = Math.ceil((WARM_UP_MS * rate) / 1000);
const slots = pacedSlots(total);
const { control, state, request } = slots;
const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
/** Microseconds from `from` to `to` (ms), as the histograms take them. */
const micros = (from: number, to: number) => Math.max(0, Math.round((to - from) * 1000));

let start = 0;
let done = 0;
let errors = 0;
let sendReport: { queued: number; backlogged: number; sendErrors: number } | undefined;
let finish: () => void = () => undefined;
const finished = () =>
  sendReport !== undefined && done + sendReport.sendErrors === total ? finish() : undefined;

/** Every connection reads into this buffer; an answer split across reads is copied aside. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const HEADERS_END = Buffer.from('\r\n\r\n');
const LENGTH_HEADER = /\r\ncontent-length:\s*(\d+)/i;

/** One keep-alive connection in a slot; the sender writes to its socket, this thread reads. */
class Connection {
  private readonly socket: Socket;
  private pending: Buffer | undefined;

  constructor(private readonly slot: number) {
    this.socket = connect({
      port: Number(target.port),
      host: target.hostname,
      onread: { buffer: READ_BUFFER, callback: (length) => this.read(length) },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.opened());
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.lost());
  }

  private opened(): void {
    // The descriptor the sender writes to; libuv reads it here and never writes.
    slots.fd[this.slot] = (this.socket as unknown as { _handle: { fd: number } })._handle.fd;
    Atomics.store(state, this.slot, SLOT.idle);
    Atomics.add(control, CONTROL.connected, 1);
    wakeSender(slots, true);
  }

  private read(length: number): boolean {
    let bytes = READ_BUFFER.subarray(0, length);
    if (this.pending) bytes = Buffer.concat([this.pending, bytes]);
    this.pending = undefined;
    for (;;) {
      const headersEnd = bytes.indexOf(HEADERS_END);
      if (headersEnd < 0) break;
      const head = bytes.toString('latin1', 0, headersEnd);
      const contentLength = LENGTH_HEADER.exec(head);
      if (!contentLength) {
        // Not an answer this client reads (no Content-Length): the request fails with it.
        this.socket.destroy();
        return true;
      }
      const end = headersEnd + HEADERS_END.length + Number(contentLength[1]);
      if (bytes.length < end) break;
      this.answered(head.startsWith('HTTP/1.1 200 '));
      bytes = bytes.subarray(end);
      if (bytes.length === 0) return true;
    }
    // Copied: the read buffer is the next read's.
    this.pending = Buffer.from(bytes);
    return true;
  }

  private answered(ok: boolean): void {
    if (Atomics.load(state, this.slot) !== SLOT.busy) return;
    const index = Atomics.load(request, this.slot);
    if (index >= measuredFrom) {
      histogram.recordValue(micros(start + index * intervalMs, epochNow()));
    }
    if (!ok) errors += 1;
    done += 1;
    Atomics.sub(control, CONTROL.outstanding, 1);
    Atomics.store(state, this.slot, SLOT.idle);
    wakeSender(slots);
    finished();
  }

  private lost(): void {
    const before = Atomics.exchange(state, this.slot, SLOT.dead);
    if (before === SLOT.connecting) Atomics.add(control, CONTROL.connected, 1);
    if (before === SLOT.busy) {
      Atomics.sub(control, CONTROL.outstanding, 1);
      errors += 1;
      done += 1;
      finished();
    }
    wakeSender(slots, true);
  }
}

let slotsUsed = 0;
/** Connections opened by the end of the warm-up (the rest were opened while measuring). */
let openedInWarmUp = 0;
const connections: Connection[] = [];
function openConnection(): void {
  if (slotsUsed === MAX_CONNECTIONS) return;
  const slot = slotsUsed++;
  connections.push(new Connection(slot));
  Atomics.store(control, CONTROL.opened, slotsUsed);
}

const sender = new Worker(new URL('./paced-sender.js', import.meta.url), {
  workerData: { buffer: slots.buffer, url: target.origin, rate, total, seed } satisfies SenderData,
});
// The client's CPU from the start of the schedule: building the requests and opening the first
// connections come before it.
let cpuAtStart = process.cpuUsage();
await new Promise<void>((resolve, reject) => {
  finish = resolve;
  sender.on('error', reject);
  sender.on('message', (message: SenderMessage) => {
    if (message.kind === 'ready') {
      for (let index = 0; index < INITIAL_CONNECTIONS; index += 1) openConnection();
    } else if (message.kind === 'open') {
      for (let index = 0; index < message.count; index += 1) openConnection();
    } else {
      sendReport = message;
      finished();
    }
  });
  // The schedule starts once the first connections are open (or failed).
  const startWhenOpen = () => {
    if (Atomics.load(control, CONTROL.connected) < INITIAL_CONNECTIONS) {
      setTimeout(startWhenOpen, 1);
      return;
    }
    cpuAtStart = process.cpuUsage();
    start = epochNow();
    slots.start[0] = start;
    Atomics.store(control, CONTROL.started, 1);
    wakeSender(slots, true);
    setTimeout(() => {
      openedInWarmUp = slotsUsed;
      process.stdout.write('measuring\n');
    }, WARM_UP_MS);
  };
  startWhenOpen();
});
const cpu = process.cpuUsage(cpuAtStart);

const lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
for (let index = measuredFrom; index < total; index += 1) {
  lag.recordValue(micros(start + index * intervalMs, slots.dispatched[index]!));
}
const ms = (value: number) => value / 1000;
const lagP99Ms = ms(lag.getValueAtPercentile(99));
// The rate kept: requests over the time from the start to the last dispatch (the schedule puts
// that at (total - 1) / rate; a late client, later).
const achievedRate = (total - 1) / ((slots.dispatched[total - 1]! - start) / 1000);
process.stdout.write(
  JSON.stringify({
    connections: slotsUsed,
    connectionsMeasuring: slotsUsed - openedInWarmUp,
    sent: total,
    measured: total - measuredFrom,
    errors: errors + sendReport!.sendErrors,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
    lagP99Ms,
    lagMaxMs: ms(lag.maxValue),
    queued: sendReport!.queued,
    backlogged: sendReport!.backlogged,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    achievedRate,
    onSchedule: lagP99Ms <= MAX_LAG_P99_MS && achievedRate >= rate * 0.98,
  }),
  // Written: the open keep-alive sockets must not keep the process.
  () => process.exit(0),
);
