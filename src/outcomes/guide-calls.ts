import { MAX_LATENCY_MS, millisecondsOf } from '../metrics/index.js';
import type { OutcomeReport } from './parse-outcome.js';
import { type TiedOutcome, tieCall } from './tie-outcome.js';

/**
 * `recordSuccess`'s arguments by the outcome field each becomes, for {@link tieCall}'s
 * messages: the response time in seconds (the schema says it in milliseconds) and the quality.
 */
function successArguments(
  responseTimeSeconds: unknown,
  qualityScore: unknown,
): Record<string, { name: string; value: unknown; allowed?: string }> {
  return {
    latencyMs: {
      name: 'responseTimeSeconds',
      value: responseTimeSeconds,
      allowed: `a number of seconds from 0 to ${MAX_LATENCY_MS / 1000} (one hour)`,
    },
    quality: { name: 'qualityScore', value: qualityScore },
  };
}

/**
 * The guide's `record_success(backend, response_time, quality_score)` as an outcome tied to no
 * decision: seconds become the schema's milliseconds; a problem is named by the argument
 * (`responseTimeSeconds`, `qualityScore`), with the value given.
 */
export function tieSuccess(
  backend: unknown,
  responseTimeSeconds: number,
  qualityScore?: number,
): TiedOutcome {
  const seconds = responseTimeSeconds;
  // A value that is not a number is passed on as it is, for the check to name it.
  const latencyMs = typeof seconds === 'number' ? millisecondsOf(seconds) : (seconds as never);
  const report: OutcomeReport = { success: true, latencyMs };
  if (qualityScore !== undefined) report.quality = qualityScore;
  return tieCall(backend, report, successArguments(responseTimeSeconds, qualityScore));
}

/** The guide's `record_failure(backend)` as an outcome tied to no decision. */
export function tieFailure(backend: unknown): TiedOutcome {
  return tieCall(backend, { success: false }, {});
}
