import type { OutcomeReport } from '../outcomes/index.js';

/** The scenarios of the guide's `rollout_scenarios.py`, and five more. */
export const SCENARIOS = [
  'healthy',
  'latency-regression',
  'quality-drop',
  'error-spike',
  'low-traffic',
  'flapping',
  'aa-repeat-users',
  'ramp',
  'shadow-regression',
] as const;
/** A rollout scenario. */
export type Scenario = (typeof SCENARIOS)[number];

/** How a synthetic backend behaves at a moment. */
export interface BackendProfile {
  latencyMs: number;
  quality: number;
  errorRate: number;
  costUsd: number;
}

/** A small seeded generator (xorshift32): reproducible synthetic traffic, not cryptography. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const PERPLEXITY: BackendProfile = {
  latencyMs: 1800,
  quality: 0.78,
  errorRate: 0.002,
  costUsd: 0.008,
};
const LIGHTRAG: BackendProfile = {
  latencyMs: 2300,
  quality: 0.85,
  errorRate: 0.002,
  costUsd: 0.012,
};

/**
 * The guide's figures (LightRAG about 2.3 s and quality 0.85, Perplexity 1.8 s and 0.78, small
 * error rates), changed by the scenario once the rollout reaches a stage, or with the time.
 */
export function profileOf(
  scenario: Scenario,
  backend: string,
  percentage: number,
  minute: number,
): BackendProfile {
  if (backend === 'perplexity') return PERPLEXITY;
  switch (scenario) {
    // No true difference: LightRAG behaves exactly as Perplexity.
    case 'aa-repeat-users':
    case 'ramp':
      return PERPLEXITY;
    case 'latency-regression':
      return percentage >= 30 ? { ...LIGHTRAG, latencyMs: 14_000 } : LIGHTRAG;
    case 'quality-drop':
      return percentage >= 15 ? { ...LIGHTRAG, quality: 0.5 } : LIGHTRAG;
    case 'error-spike':
      return percentage >= 15 ? { ...LIGHTRAG, errorRate: 0.6 } : LIGHTRAG;
    // Worse than Perplexity on the same queries (0.70 against 0.78), yet above every absolute
    // threshold: only the paired comparison of a shadow stage can see it before users do.
    case 'shadow-regression':
      return { ...LIGHTRAG, quality: 0.7 };
    case 'flapping': {
      // Half-hour swings that stay inside every threshold: the plan must not thrash.
      const high = Math.floor(minute / 30) % 2 === 0;
      return {
        ...LIGHTRAG,
        latencyMs: high ? 3200 : 1800,
        quality: high ? 0.8 : 0.9,
        errorRate: high ? 0.004 : 0,
      };
    }
    default:
      return LIGHTRAG;
  }
}

/** Whether a scenario's users come back (a population with repeat requests) rather than each query being a new user. */
export function hasRepeatUsers(scenario: Scenario): boolean {
  return scenario === 'aa-repeat-users' || scenario === 'ramp';
}

/** One synthetic user of a population: how often they ask, and how their answers differ. */
export interface SyntheticUser {
  userId: string;
  /** Relative request rate: 1..50. */
  weight: number;
  /** Added to every quality score of theirs (a per-user effect, the same on both backends). */
  qualityOffset: number;
}

/**
 * A population of users with 1..50 requests each (relative rates drawn uniformly) and a
 * per-user quality effect (sd 0.015 against the per-request ±0.05, whose sd is 0.029: an
 * intra-user correlation of about 0.2), and a way to draw the user of the next query, in
 * proportion to rate.
 */
export function syntheticPopulation(
  size: number,
  random: () => number,
): { users: SyntheticUser[]; next(): SyntheticUser } {
  const users: SyntheticUser[] = [];
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let index = 0; index < size; index += 1) {
    const weight = 1 + Math.floor(random() * 50);
    // A normal from two uniforms (Box-Muller), enough for a synthetic effect.
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    users.push({ userId: `repeat-user-${index}`, weight, qualityOffset: 0.015 * normal });
    total += weight;
    cumulative[index] = total;
  }
  return {
    users,
    next() {
      const target = random() * total;
      let low = 0;
      let high = size - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (cumulative[middle]! > target) high = middle;
        else low = middle + 1;
      }
      return users[low]!;
    },
  };
}

/**
 * One outcome of a call to a backend with this profile: latency ±20 %, quality ±0.05 (plus the
 * user's own offset).
 */
export function syntheticOutcome(
  profile: BackendProfile,
  random: () => number,
  qualityOffset = 0,
): OutcomeReport {
  const success = random() >= profile.errorRate;
  const latencyMs = profile.latencyMs * (0.8 + 0.4 * random());
  if (!success) return { success, latencyMs };
  const quality = Math.min(
    1,
    Math.max(0, profile.quality + qualityOffset + (random() - 0.5) * 0.1),
  );
  const costUsd = profile.costUsd * (0.8 + 0.4 * random());
  return { success, latencyMs, quality, costUsd };
}
