/**
 * The HTTP bench's maximum-throughput client, in a process of its own: autocannon, 32
 * connections, for SECONDS, sending OFREP single evaluations of a Zipf draw of users seeded with
 * SEED (ofrep-traffic.ts; 1,000 bodies in turn, each connection from the first). `node
 * throughput-load.js ORIGIN SECONDS SEED` prints `{requests, latency, errors, non2xx}` as
 * autocannon reports them. autocannon's command line sends one body; its API takes a sequence of
 * requests, built once before the run, so the client's cost per request is the same.
 */
import { createRequire } from 'node:module';
import { OFREP_PATH, ofrepBodies } from './ofrep-traffic.js';

/** What this bench reads of autocannon's result. */
export interface ThroughputResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}

type Autocannon = (options: Record<string, unknown>) => Promise<ThroughputResult>;

const BODIES = 1000;
const [origin = '', secondsText, seedText = '1'] = process.argv.slice(2);
const seconds = Number(secondsText);
const seed = Number(seedText);
if (!origin || !(seconds > 0) || !Number.isInteger(seed)) {
  process.stderr.write('usage: throughput-load ORIGIN SECONDS [SEED]\n');
  process.exit(2);
}
// autocannon ships no types; this is the one call the bench makes.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const headers = { 'content-type': 'application/json' };
const result = await autocannon({
  url: `${origin}${OFREP_PATH}`,
  connections: 32,
  duration: seconds,
  requests: ofrepBodies(BODIES, seed).map((body) => ({
    method: 'POST',
    path: OFREP_PATH,
    headers,
    body,
  })),
});
const { requests, latency, errors, non2xx } = result;
process.stdout.write(JSON.stringify({ requests, latency, errors, non2xx }));
