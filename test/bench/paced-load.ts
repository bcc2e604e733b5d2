/**
 * An open-loop load generator at a constant arrival rate, run as a process of its own:
 * `node paced-load.js URL RATE SECONDS BODY` (after a one-second warm-up) prints `{sent, errors, p50Ms, p90Ms, p99Ms, maxMs}`.
 *
 * autocannon's `-R` gives each connection a per-second quota that resets on a one-second
 * interval, so "half the maximum rate" is full load for half of every second, and its
 * coordinated-omission correction adds synthetic samples; its p99 there measures the bursts, not
 * the server (a bare fastify route shows 6 ms at 5,000 req/s). Here request i is due at
 * start + i/rate and its latency counts from that moment, so a stalled server is charged for
 * the requests it delayed (as wrk2 does).
 */
import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';

const [url = '', rateText, secondsText, body = ''] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
if (!url || !(rate > 0) || !(seconds > 0) || !body) {
  process.stderr.write('usage: paced-load URL RATE SECONDS BODY\n');
  process.exit(2);
}

const target = new URL(url);
const pool = new Pool(target.origin, { connections: 32, pipelining: 1 });
const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
const total = Math.round(rate * (seconds + 1));
let sent = 0;
let done = 0;
let errors = 0;

const WARM_UP_NS = 1_000_000_000n;
const start = process.hrtime.bigint();

async function one(dueNs: bigint): Promise<void> {
  try {
    const response = await pool.request({
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await response.body.dump();
    if (response.statusCode !== 200) errors += 1;
  } catch {
    errors += 1;
  }
  // The first second opens connections and warms the JIT on both sides: sent, not measured.
  if (dueNs - start >= WARM_UP_NS) {
    histogram.recordValue(Number((process.hrtime.bigint() - dueNs) / 1000n));
  }
  done += 1;
}

const intervalNs = BigInt(Math.round(1e9 / rate));
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = process.hrtime.bigint();
    while (sent < total && start + BigInt(sent) * intervalNs <= now) {
      void one(start + BigInt(sent) * intervalNs).then(() => {
        if (done === total) resolve();
      });
      sent += 1;
    }
    if (sent < total) setImmediate(tick);
  };
  tick();
});
await pool.close();
const ms = (micros: number) => micros / 1000;
process.stdout.write(
  JSON.stringify({
    sent,
    errors,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
  }),
);
