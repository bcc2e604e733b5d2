/**
 * What a young-generation collection costs per megabyte it copies, on this machine: the part of
 * a reload's longest block that no slicing removes (see docs/performance.md, reload). Run
 * `node --expose-gc dist-bench/bench/scavenge-cost.js` after `tsc -p tsconfig.bench.json`. For
 * each size it builds that many rule-like objects (a name, a parsed spec, a closure over two
 * values, as a reload builds them) in the young generation, still reachable, and times one
 * scavenge (`gc({ type: 'minor' })`, timed around the call), which copies them; best of several tries, since a busy
 * machine only ever adds. Prints JSON: per size, the bytes the scavenge moved and its time.
 */
type MinorGc = (options: { type: 'minor' }) => void;
const gc = (globalThis as { gc?: MinorGc }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const SIZES = [1_000, 2_500, 5_000, 10_000];
const TRIES = 15;

/** `count` rule-like objects, allocated now (young) and kept reachable. */
function build(count: number): unknown[] {
  const kept: unknown[] = [];
  for (let index = 0; index < count; index += 1) {
    const name = `rule_${index}`;
    const spec = JSON.parse(
      `{"type":"query_length","min_length":${100 + (index % 50)},"max_length":${1000 + index}}`,
    ) as { min_length: number; max_length: number };
    const low = spec.min_length;
    const high = spec.max_length;
    const predicate = (length: number) => length >= low && length <= high;
    kept.push({ name, spec, origin: `rules/r.yaml:${index + 2}`, predicate });
  }
  return kept;
}

const results: { rules: number; copiedMb: number; bestMs: number; msPerMb: number }[] = [];
for (const count of SIZES) {
  let bestMs = Number.POSITIVE_INFINITY;
  let copiedMb = 0;
  for (let attempt = 0; attempt < TRIES; attempt += 1) {
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    const before = process.memoryUsage().heapUsed;
    const kept = build(count);
    const started = performance.now();
    gc({ type: 'minor' });
    const pauseMs = performance.now() - started;
    // What survived the scavenge, which is what it copied: the garbage of building is gone.
    // (A try in which the heap shrank, a full collection's sweeping having finished, is not
    // a measure of the copy: its time is kept, its size not.)
    const survivedMb = (process.memoryUsage().heapUsed - before) / 1e6;
    if (survivedMb > copiedMb) copiedMb = survivedMb;
    bestMs = Math.min(bestMs, pauseMs);
    if (kept.length !== count) throw new Error('lost');
  }
  results.push({ rules: count, copiedMb, bestMs, msPerMb: bestMs / copiedMb });
}
process.stdout.write(`${JSON.stringify(results)}\n`);
