/** A routing context as every system in the benchmark receives it. */
export interface BenchContext {
  userId: string;
  queryText: string;
  queryType: string;
  region: string;
}

/** mulberry32: a small seeded PRNG, so every run routes the same contexts. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(random: () => number, choices: readonly (readonly [T, number])[]): T {
  let pick = random();
  for (const [value, weight] of choices) {
    pick -= weight;
    if (pick < 0) return value;
  }
  return choices[choices.length - 1]![0];
}

const QUERY_TYPES = [
  ['metabolomics', 0.2],
  ['clinical', 0.15],
  ['general', 0.4],
  ['chemistry', 0.15],
  ['genomics', 0.1],
] as const;
const REGIONS = [
  ['us_east', 0.35],
  ['us_west', 0.25],
  ['europe', 0.25],
  ['asia', 0.15],
] as const;

const WORDS =
  'what is the role of metabolomics in clinical diagnosis of rare metabolic disorders and how ';
function textSource(length: number): string {
  return WORDS.repeat(Math.ceil(length / WORDS.length) + 1).slice(0, length);
}

/** Ranks 1..n drawn with probability proportional to 1 / rank^s (inverse CDF, binary search). */
function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let rank = 1; rank <= n; rank += 1) {
    total += 1 / rank ** s;
    cdf[rank - 1] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };
}

/**
 * Realistic traffic: user ids from a Zipf distribution over a million users, query lengths
 * log-normal (median about 90 characters, clipped to 1..4000), a handful of types and regions.
 * With `uniqueUsers`, every context has its own user (for checking split shares).
 */
export function realisticWorkload(count: number, seed = 1, uniqueUsers = false): BenchContext[] {
  const random = seededRandom(seed);
  const user = zipfSampler(1_000_000, 1.05, random);
  const source = textSource(4000);
  const contexts: BenchContext[] = [];
  for (let index = 0; index < count; index += 1) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const length = Math.min(4000, Math.max(1, Math.round(Math.exp(4.5 + 0.8 * normal))));
    contexts.push({
      userId: uniqueUsers ? `verify-${seed}-${index}` : `user-${user()}`,
      queryText: source.slice(0, length),
      queryType: weighted(random, QUERY_TYPES),
      region: weighted(random, REGIONS),
    });
  }
  return contexts;
}

/**
 * Adversarial traffic: every user id unique, and query lengths cycling through 0..LENGTHS-1 so
 * that no bounded cache keyed on ids or lengths ever hits.
 */
export const ADVERSARIAL_LENGTHS = 30_011;
export function adversarialWorkload(count: number, seed = 2): BenchContext[] {
  const random = seededRandom(seed);
  const source = textSource(ADVERSARIAL_LENGTHS);
  const contexts: BenchContext[] = [];
  for (let index = 0; index < count; index += 1) {
    contexts.push({
      userId: `adversary-${seed}-${index}`,
      queryText: source.slice(0, (index * 7919) % ADVERSARIAL_LENGTHS),
      queryType: weighted(random, QUERY_TYPES),
      region: weighted(random, REGIONS),
    });
  }
  return contexts;
}
