/**
 * The churn measurement, in a process of its own: `node churn-child.js` makes 3 million
 * synchronous decisions, each for a user never seen before, that all reach assignment (every
 * one hashes), and prints the slowest decision and the
 * garbage collector's longest pause as JSON on stdout.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { flagroutePeer } from './peers.js';

const DECISIONS = 3_000_000;
const peer = await flagroutePeer();
const pauses: number[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses.push(entry.duration);
});
observer.observe({ entryTypes: ['gc'] });
const context = {
  userId: '',
  region: 'us_east',
  queryType: 'clinical',
  queryText: 'x'.repeat(150),
};
let worstMs = 0;
const started = performance.now();
for (let index = 0; index < DECISIONS; index += 1) {
  context.userId = `churn-${index}`;
  const before = performance.now();
  peer.router.decideSync(context);
  const took = performance.now() - before;
  if (took > worstMs) worstMs = took;
}
const totalMs = performance.now() - started;
// The observer reports on a later turn of the event loop.
await new Promise((resolve) => setTimeout(resolve, 50));
observer.disconnect();
await peer.close();
process.stdout.write(
  JSON.stringify({
    decisions: DECISIONS,
    nsPerDecision: (totalMs * 1e6) / DECISIONS,
    worstDecisionMs: worstMs,
    gcPauses: pauses.length,
    longestGcPauseMs: Math.max(...pauses),
  }),
);
