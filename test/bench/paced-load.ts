/**
 * An open-loop load generator at a constant arrival rate, run as a process of its own:
 * `node paced-load.js URL RATE SECONDS BODY` (after a one-second warm-up) prints `{sent, errors,
 * p50Ms, p90Ms, p99Ms, maxMs}` and how well the client itself kept to its schedule:
 * `{lagP99Ms, lagMaxMs, achievedRate, onSchedule}`.
 *
 * autocannon's `-R` gives each connection a per-second quota that resets on a one-second
 * interval, so "half the maximum rate" is full load for half of every second, and its
 * coordinated-omission correction adds synthetic samples; its p99 there measures the bursts, not
 * the server (a bare fastify route shows 6 ms at 5,000 req/s). Here request i is due at
 * start + i/rate and its latency counts from that moment, so a stalled server is charged for
 * the requests it delayed (as wrk2 does).
 *
 * That holds only while this client sends each request when it is due. A client starved of CPU
 * (two cores, the servers and other work beside it) sends late, and then charges its own delay
 * to the server: runs gave a p99 of 4.3 s that way. So the lag between each request's due time
 * and its dispatch is measured too, and a run whose client was late by more than
 * {@link MAX_LAG_P99_MS} at the 99th percentile, or kept less than 98 % of the rate, says it is
 * not on schedule: its latencies are not the server's. (A request due while the server holds
 * every connection waits for one, timed from its due time all the same; that wait is not lag:
 * the lag is taken when the request leaves the schedule. How many waited is printed, `queued`.)
 *
 * The client used to spin between requests (`setImmediate` round after round), a whole core
 * whatever the rate. On two cores that left one for the server under test, and any third thread
 * (the server's garbage-collector helpers, the kernel's loopback work, the machine's own
 * processes) preempted one of the two: the client lagged by milliseconds even against a bare
 * route. Now no thread spins: see {@link startMetronome}. Times are doubles from
 * `performance.now()` rather than bigints, which made garbage on every turn.
 */
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';

const [url = '', rateText, secondsText, body = ''] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
if (!url || !(rate > 0) || !(seconds > 0) || !body) {
  process.stderr.write('usage: paced-load URL RATE SECONDS BODY\n');
  process.exit(2);
}

const target = new URL(url);
const CONNECTIONS = 32;
const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
/** How late the client dispatched each measured request, in microseconds. */
const lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
/** The client's own lateness (99th percentile) beyond which its run is not the server's. */
const MAX_LAG_P99_MS = 1;
const total = Math.round(rate * (seconds + 1));
let sent = 0;
let done = 0;
let errors = 0;
let queued = 0;

const WARM_UP_MS = 1000;
const start = performance.now();

/**
 * The request, as bytes written once: the client is plain sockets with keep-alive and one request
 * in flight per connection, and reads a response's status line and Content-Length only. undici
 * cost this client about 40 µs of CPU a request, so at 10,000 requests a second it fell behind its
 * own schedule on a shared core; a write of ready bytes and a scan of the answer cost a few µs.
 */
const REQUEST = Buffer.from(
  `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
);
const HEADERS_END = Buffer.from('\r\n\r\n');
const LENGTH_HEADER = /\r\ncontent-length:\s*(\d+)/i;

/** Due times of requests taken from the schedule but not yet on a connection (all busy). */
const waiting: number[] = [];
const idle: Connection[] = [];
let finish: () => void = () => undefined;

/** One keep-alive connection with at most one request in flight. */
class Connection {
  private readonly socket: Socket;
  private due: number | undefined;
  private received: Buffer = Buffer.alloc(0);

  constructor() {
    this.socket = connect(Number(target.port), target.hostname);
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.free());
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.lost());
  }

  send(due: number): void {
    this.due = due;
    this.socket.write(REQUEST);
  }

  private read(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const headersEnd = this.received.indexOf(HEADERS_END);
    if (headersEnd < 0) return;
    const head = this.received.toString('latin1', 0, headersEnd);
    const length = LENGTH_HEADER.exec(head);
    if (!length) {
      // Not an answer this client reads (no Content-Length): counted, and the connection replaced.
      this.socket.destroy();
      return;
    }
    const end = headersEnd + HEADERS_END.length + Number(length[1]);
    if (this.received.length < end) return;
    this.received = this.received.subarray(end);
    settle(this.due!, head.startsWith('HTTP/1.1 200 '));
    this.due = undefined;
    this.free();
  }

  private free(): void {
    const next = waiting.shift();
    if (next === undefined) idle.push(this);
    else this.send(next);
  }

  private lost(): void {
    const index = idle.indexOf(this);
    if (index >= 0) idle.splice(index, 1);
    if (this.due !== undefined) settle(this.due, false);
    if (done < total) new Connection();
  }
}

/** Microseconds from `from` to `to` (ms), as the histograms take them. */
const micros = (from: number, to: number) => Math.max(0, Math.round((to - from) * 1000));

function settle(due: number, ok: boolean): void {
  if (!ok) errors += 1;
  // The first second opens connections and warms the JIT on both sides: sent, not measured.
  if (due - start >= WARM_UP_MS) histogram.recordValue(micros(due, performance.now()));
  done += 1;
  if (done === total) finish();
}

for (let index = 0; index < CONNECTIONS; index += 1) new Connection();

const intervalMs = 1000 / rate;
const dueOf = (index: number) => start + index * intervalMs;

/**
 * The schedule's clock (engineer C's design): a worker thread sleeps (`Atomics.wait`, a futex
 * with a timeout of microseconds) until the next request is due, then wakes this thread with a
 * message. Node's timers cannot wait less than a millisecond, and sleeping on this thread would
 * leave answers unread; so this thread waits in its event loop for either, an answer is timed
 * when it arrives, a due request goes out within the message's delivery (tens of µs), and
 * neither thread spins.
 */
function startMetronome(onTick: () => void): Worker {
  const metronome = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    const { start, intervalMs, total } = workerData;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const now = () => performance.timeOrigin + performance.now();
    let next = 0;
    while (next < total) {
      const wait = start + next * intervalMs - now();
      if (wait > 0) {
        Atomics.wait(sleeper, 0, 0, wait);
        continue;
      }
      parentPort.postMessage(null);
      next = Math.floor((now() - start) / intervalMs) + 1;
    }`,
    {
      eval: true,
      execArgv: [],
      // Both threads read the same clock as time since the epoch (each has its own origin).
      workerData: { start: performance.timeOrigin + start, intervalMs, total },
    },
  );
  metronome.on('message', onTick);
  return metronome;
}

let lastSend = start;
const cpuAtStart = process.cpuUsage();
await new Promise<void>((resolve) => {
  finish = resolve;
  const tick = () => {
    const now = performance.now();
    while (sent < total && dueOf(sent) <= now) {
      const due = dueOf(sent);
      const measured = due - start >= WARM_UP_MS;
      if (measured) lag.recordValue(micros(due, now));
      lastSend = now;
      const connection = idle.pop();
      if (connection) connection.send(due);
      else {
        if (measured) queued += 1;
        waiting.push(due);
      }
      sent += 1;
    }
  };
  startMetronome(tick).unref();
});
const cpu = process.cpuUsage(cpuAtStart);
const ms = (micros: number) => micros / 1000;
const lagP99Ms = ms(lag.getValueAtPercentile(99));
// The rate kept: requests over the time from the start to the last dispatch (the schedule puts
// that at (total - 1) / rate; a late client, later).
const achievedRate = (sent - 1) / ((lastSend - start) / 1000);
process.stdout.write(
  JSON.stringify({
    connections: CONNECTIONS,
    sent,
    errors,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
    lagP99Ms,
    lagMaxMs: ms(lag.maxValue),
    queued,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    achievedRate,
    onSchedule: lagP99Ms <= MAX_LAG_P99_MS && achievedRate >= rate * 0.98,
  }),
  // Written: the open keep-alive sockets must not keep the process.
  () => process.exit(0),
);
