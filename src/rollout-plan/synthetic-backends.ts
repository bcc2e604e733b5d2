import type { OutcomeReport } from '../outcomes/index.js';

/** The scenarios of the guide's `rollout_scenarios.py`, and two more. */
export const SCENARIOS = [
  'healthy',
  'latency-regression',
  'quality-drop',
  'error-spike',
  'low-traffic',
  'flapping',
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
    case 'latency-regression':
      return percentage >= 30 ? { ...LIGHTRAG, latencyMs: 14_000 } : LIGHTRAG;
    case 'quality-drop':
      return percentage >= 15 ? { ...LIGHTRAG, quality: 0.5 } : LIGHTRAG;
    case 'error-spike':
      return percentage >= 15 ? { ...LIGHTRAG, errorRate: 0.6 } : LIGHTRAG;
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

/** One outcome of a call to a backend with this profile: latency ±20 %, quality ±0.05. */
export function syntheticOutcome(profile: BackendProfile, random: () => number): OutcomeReport {
  const success = random() >= profile.errorRate;
  const latencyMs = profile.latencyMs * (0.8 + 0.4 * random());
  if (!success) return { success, latencyMs };
  const quality = Math.min(1, Math.max(0, profile.quality + (random() - 0.5) * 0.1));
  const costUsd = profile.costUsd * (0.8 + 0.4 * random());
  return { success, latencyMs, quality, costUsd };
}
