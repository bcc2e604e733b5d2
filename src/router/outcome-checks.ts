import type { Backend } from '../config/types.js';
import type { OutcomeSample } from '../metrics/outcome-stats.js';

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
}

/** Throws unless `backend` is a known backend. */
export function checkBackend(backend: unknown): asserts backend is Backend {
  if (backend !== 'lightrag' && backend !== 'perplexity') {
    throw new TypeError(
      `backend must be "lightrag" or "perplexity", got ${JSON.stringify(backend)}`,
    );
  }
}

/** Throws unless `value` is a finite number of at least 0. */
export function checkNonNegative(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number of at least 0, got ${String(value)}`);
  }
}

/** Throws unless `value` is a number in [0, 1]. */
export function checkUnit(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`${name} must be a number from 0 to 1, got ${String(value)}`);
  }
}

/** Checks an outcome report and converts it to a sample (latency in seconds). */
export function sampleOf(report: OutcomeReport): OutcomeSample {
  if (report === null || typeof report !== 'object')
    throw new TypeError('outcome must be an object');
  if (typeof report.success !== 'boolean') {
    throw new TypeError(
      `outcome.success must be true or false, got ${JSON.stringify(report.success)}`,
    );
  }
  if (report.latencyMs !== undefined) checkNonNegative('outcome.latencyMs', report.latencyMs);
  if (report.quality !== undefined) checkUnit('outcome.quality', report.quality);
  if (report.costUsd !== undefined) checkNonNegative('outcome.costUsd', report.costUsd);
  if (report.satisfaction !== undefined) checkUnit('outcome.satisfaction', report.satisfaction);
  return {
    success: report.success,
    latencySeconds: report.latencyMs === undefined ? undefined : report.latencyMs / 1000,
    quality: report.quality,
    costUsd: report.costUsd,
    satisfaction: report.satisfaction,
  };
}
