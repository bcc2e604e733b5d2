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
const SOURCE = WORDS.repeat(Math.ceil(4000 / WORDS.length) + 1).slice(0, 4000);

/** Users of the Zipf draws, and the exponent: the few heavy users and the long tail. */
export const ZIPF_USERS = 1_000_000;
const ZIPF_EXPONENT = 1.05;
let zipfCdf: { cdf: Float64Array; total: number } | undefined;

/** Ranks 1..n drawn with probability proportional to 1 / rank^s (inverse CDF, binary search). */
function zipfSampler(random: () => number): () => number {
  if (zipfCdf === undefined) {
    const cdf = new Float64Array(ZIPF_USERS);
    let total = 0;
    for (let rank = 1; rank <= ZIPF_USERS; rank += 1) {
      total += 1 / rank ** ZIPF_EXPONENT;
      cdf[rank - 1] = total;
    }
    zipfCdf = { cdf, total };
  }
  const { cdf, total } = zipfCdf;
  return () => {
    const target = random() * total;
    let low = 0;
    let high = ZIPF_USERS - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };
}

/**
 * The query side of realistic traffic: lengths log-normal (median about 90 characters, clipped
 * to 1..4000), a handful of types and regions.
 */
function realisticQuery(random: () => number, userId: string): BenchContext {
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const length = Math.min(4000, Math.max(1, Math.round(Math.exp(4.5 + 0.8 * normal))));
  return {
    userId,
    queryText: SOURCE.slice(0, length),
    queryType: weighted(random, QUERY_TYPES),
    region: weighted(random, REGIONS),
  };
}

/**
 * Realistic traffic: user ids from a Zipf distribution (s = 1.05) over a million users, and
 * {@link realisticQuery}'s queries. With `uniqueUsers`, every context has its own user (for
 * checking split shares).
 */
export function realisticWorkload(count: number, seed = 1, uniqueUsers = false): BenchContext[] {
  const random = seededRandom(seed);
  const user = zipfSampler(random);
  const contexts: BenchContext[] = [];
  for (let index = 0; index < count; index += 1) {
    const userId = uniqueUsers ? `verify-${seed}-${index}` : `user-${user()}`;
    contexts.push(realisticQuery(random, userId));
  }
  return contexts;
}

/** The workloads every system is timed on (see {@link benchWorkloads}). */
export const WORKLOAD_NAMES = ['replayed', 'reparsed', 'fresh', 'all-new'] as const;
/** A workload's name. */
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** One round of a workload: every call of `contexts` gives the round's contexts. */
export interface WorkloadRound {
  /**
   * The round's contexts. For a fresh workload each call parses them again from the round's
   * JSON text, so every system's pass decides on objects and strings it has never seen; the
   * replayed workload returns the same objects every time.
   */
  contexts(): BenchContext[];
}

/** Traffic a system is timed on. */
export interface Workload {
  readonly name: WorkloadName;
  /** False only for the replayed workload, whose contexts every pass has seen before. */
  readonly fresh: boolean;
  /** What the workload is, for the report. */
  readonly description: string;
  /** The next round's contexts: each round's users differ, except where the workload says. */
  nextRound(): WorkloadRound;
}

function parsedEachTime(contexts: readonly BenchContext[]): WorkloadRound {
  const text = JSON.stringify(contexts);
  return { contexts: () => JSON.parse(text) as BenchContext[] };
}

/**
 * The workloads of a run, `count` contexts a round:
 * - `replayed`: one Zipf draw, the same objects every pass (what the bench measured before:
 *   after the warm-up every id that reaches the hash is cached and V8 has hashed every string).
 *   Kept for comparison only; it flatters any cache.
 * - `reparsed`: the same draw, parsed from JSON text before each pass, as a server receives it:
 *   fresh strings, same users.
 * - `fresh`: a new Zipf draw each round (new contexts, parsed before each pass): the realistic
 *   workload the targets are about.
 * - `all-new`: every user never seen before (ids counted up across rounds and passes of the
 *   run), realistic queries, parsed before each pass.
 */
export function benchWorkloads(count: number, seed = 1): Workload[] {
  const replayed = realisticWorkload(count, seed);
  const freshRandom = seededRandom(seed + 100);
  const freshUser = zipfSampler(freshRandom);
  const newRandom = seededRandom(seed + 200);
  let newUsers = 0;
  return [
    {
      name: 'replayed',
      fresh: false,
      description:
        'One Zipf draw (s = 1.05 over 1,000,000 users), the same context objects every pass: replayed traffic, which flatters any cache (kept only to compare with earlier runs).',
      nextRound: () => ({ contexts: () => replayed }),
    },
    {
      name: 'reparsed',
      fresh: true,
      description:
        'The same draw, parsed from JSON text before every pass, as a server receives it: the same users, strings never seen.',
      nextRound: () => parsedEachTime(replayed),
    },
    {
      name: 'fresh',
      fresh: true,
      description:
        'A new Zipf draw (s = 1.05 over 1,000,000 users) every round, parsed from JSON text before every pass: realistic traffic.',
      nextRound: () => {
        const contexts: BenchContext[] = [];
        for (let index = 0; index < count; index += 1) {
          contexts.push(realisticQuery(freshRandom, `user-${freshUser()}`));
        }
        return parsedEachTime(contexts);
      },
    },
    {
      name: 'all-new',
      fresh: true,
      description:
        'Every user never seen before in the run (realistic queries), parsed from JSON text before every pass: a cache keyed on users never hits.',
      nextRound: () => {
        const contexts: BenchContext[] = [];
        for (let index = 0; index < count; index += 1) {
          newUsers += 1;
          contexts.push(realisticQuery(newRandom, `new-${newUsers}`));
        }
        return parsedEachTime(contexts);
      },
    },
  ];
}
