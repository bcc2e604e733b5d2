import { BACKENDS, type Backend } from '../config/types.js';
import { InvalidOutcomeError } from '../errors.js';
import type { OutcomeSample } from '../metrics/outcome-stats.js';
import { COHORTS, type Cohort, type Decision } from '../routing/types.js';

/** What a service reports about a call it made after a decision. */
export interface OutcomeReport {
  success: boolean;
  /** Response time in milliseconds. */
  latencyMs?: number;
  /** Quality score in [0, 1]. */
  quality?: number;
  costUsd?: number;
  /** User satisfaction in [0, 1]. */
  satisfaction?: number;
  /**
   * The user the query was for: only turned into the outcome event log's pseudonymous unit
   * (never stored or logged as given), so that experiments can be analysed per user.
   */
  userId?: string;
}

const OUTCOME_KEYS = new Set([
  'success',
  'latencyMs',
  'quality',
  'costUsd',
  'satisfaction',
  'userId',
]);

/** Throws unless `userId` is absent or a non-empty string of at most 1024 characters. */
export function checkUserId(userId: unknown): asserts userId is string | undefined {
  if (userId === undefined) return;
  if (typeof userId !== 'string' || userId === '' || userId.length > 1024) {
    throw new InvalidOutcomeError(
      'outcome.userId',
      'must be a non-empty string of at most 1024 characters',
    );
  }
}

/** Throws unless `backend` is a known backend. */
export function checkBackend(backend: unknown, field = 'backend'): asserts backend is Backend {
  if (!(BACKENDS as readonly unknown[]).includes(backend)) {
    throw new InvalidOutcomeError(
      field,
      `must be "lightrag" or "perplexity", got ${JSON.stringify(backend) ?? String(backend)}`,
    );
  }
}

/** Throws unless `value` is a finite number of at least 0. */
export function checkNonNegative(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOutcomeError(
      name,
      `must be a finite number of at least 0, got ${String(value)}`,
    );
  }
}

/** Throws unless `value` is a number in [0, 1]. */
export function checkUnit(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidOutcomeError(name, `must be a number from 0 to 1, got ${String(value)}`);
  }
}

/**
 * Checks the decision an outcome is tied to: a known backend, and a cohort that is one of
 * {@link COHORTS} or absent/null. Returns the two, read once.
 */
export function tiedDecision(decision: unknown): {
  backend: Backend;
  cohort: Cohort | null;
  trial: number | null;
} {
  if (decision === null || typeof decision !== 'object') {
    throw new InvalidOutcomeError('decision', 'must be the decision object the outcome is for');
  }
  const { backend, cohort, breakerTrial } = decision as Partial<Decision>;
  checkBackend(backend, 'decision.backend');
  if (
    cohort !== undefined &&
    cohort !== null &&
    !(COHORTS as readonly unknown[]).includes(cohort)
  ) {
    throw new InvalidOutcomeError(
      'decision.cohort',
      `must be one of ${COHORTS.map((name) => `"${name}"`).join(', ')} or null, got ${JSON.stringify(cohort) ?? String(cohort)}`,
    );
  }
  return {
    backend,
    cohort: cohort ?? null,
    trial: typeof breakerTrial === 'number' ? breakerTrial : null,
  };
}

/** Checks a whole outcome report (nothing is recorded unless all of it is valid). */
export function sampleOf(report: OutcomeReport): OutcomeSample {
  if (report === null || typeof report !== 'object' || Array.isArray(report)) {
    throw new InvalidOutcomeError('outcome', 'must be an object');
  }
  for (const key of Object.keys(report)) {
    if (!OUTCOME_KEYS.has(key)) {
      throw new InvalidOutcomeError(
        `outcome.${key}`,
        `is not a field of an outcome; use ${[...OUTCOME_KEYS].join(', ')}`,
      );
    }
  }
  const { success, latencyMs, quality, costUsd, satisfaction } = report;
  if (typeof success !== 'boolean') {
    throw new InvalidOutcomeError(
      'outcome.success',
      `must be true or false, got ${JSON.stringify(success) ?? String(success)}`,
    );
  }
  if (latencyMs !== undefined) checkNonNegative('outcome.latencyMs', latencyMs);
  if (quality !== undefined) checkUnit('outcome.quality', quality);
  if (costUsd !== undefined) checkNonNegative('outcome.costUsd', costUsd);
  if (satisfaction !== undefined) checkUnit('outcome.satisfaction', satisfaction);
  checkUserId(report.userId);
  return {
    success,
    latencySeconds: latencyMs === undefined ? undefined : latencyMs / 1000,
    quality,
    costUsd,
    satisfaction,
  };
}
