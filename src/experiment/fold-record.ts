import { validators } from '../config/schemas.js';
import {
  type ExposureEvent,
  lineProblem,
  type OutcomeEvent,
  parseOutcome,
} from '../outcomes/index.js';

/** What folds the records of an event log: the experiment's accumulator, or a plan's stage tally. */
export interface RecordFolder {
  add(event: OutcomeEvent): void;
  addExposure(exposure: ExposureEvent): void;
}

/** Whether a parsed line says it is an exposure record (outcome lines have no `kind`). */
function isExposure(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'exposure'
  );
}

/**
 * Folds one record of an event log, an outcome or an exposure, each held to its schema: what is
 * wrong with it, or the outcome folded (null for an exposure).
 */
export function foldRecord(
  accumulator: RecordFolder,
  value: unknown,
): { problem: string } | { outcome: OutcomeEvent | null } {
  if (isExposure(value)) {
    const validate = validators.exposureEvent;
    if (!validate(value))
      return { problem: lineProblem(validate.errors?.[0], 'the exposure').text };
    accumulator.addExposure(value as ExposureEvent);
    return { outcome: null };
  }
  const checked = parseOutcome(value, 'event');
  if (!checked.ok) return { problem: checked.problem.text };
  accumulator.add(checked.outcome);
  return { outcome: checked.outcome };
}
