import { EventLog, type EventLogOptions } from '../event-log/index.js';
import { METRIC_TABLE } from '../metrics/index.js';
import type { ExposureEvent } from './exposures.js';
import type { OutcomeEvent } from './parse-outcome.js';
import type { RecordedOutcome } from './record-outcomes.js';
import { addShadowParts } from './shadow-pair.js';

/** Options of {@link OutcomeEventLog}: those of an {@link EventLog} but its kind. */
export type OutcomeEventLogOptions = Omit<EventLogOptions, 'kind'>;

/**
 * The outcome event log: one JSON line per outcome with a cohort, in daily files of this
 * process's own (`outcomes-YYYY-MM-DD.<host>-<pid>.jsonl`, then `.1`, `.2`, ... past the size
 * limit), the oldest deleted beyond a total size. An {@link EventLog} of kind `outcome`: writing
 * never blocks a caller, whole lines only, failures logged, counted and shown in `health()`,
 * retried until the disk takes them; a deleted or moved file is replaced.
 */
export class OutcomeEventLog extends EventLog<OutcomeEvent | ExposureEvent> implements OutcomeSink {
  constructor(options: OutcomeEventLogOptions) {
    super({ ...options, kind: 'outcome' });
  }

  /** Appends one exposure record, beside the outcomes (its `time` picks the day's file). */
  writeExposure(event: ExposureEvent): void {
    this.write(event);
  }
}

/**
 * Where a router writes the outcomes it records, as event log lines: an {@link OutcomeEventLog},
 * or any writer of events (a database table, a queue). `write` must not block or throw.
 */
export interface OutcomeSink {
  write(event: OutcomeEvent): void;
  /** Exposure records (a unit assigned an arm), when the sink keeps them. */
  writeExposure?(event: ExposureEvent): void;
  /**
   * Whether `count` more events can wait now without one being dropped; false while the sink is
   * too far behind. `POST /v1/outcomes` then refuses the batch (503, `EVENTS_BACKLOGGED`)
   * instead of answering "recorded" for outcomes the sink would drop.
   */
  admits?(count: number): boolean;
}

/** A recorded outcome as an event-log line; null when it has no cohort (not in any experiment). */
export function outcomeEventOf(recorded: RecordedOutcome): OutcomeEvent | null {
  if (recorded.cohort === null) return null;
  const { outcome } = recorded;
  const event: OutcomeEvent = {
    time: new Date(recorded.time).toISOString(),
    cohort: recorded.cohort,
    backend: recorded.backend,
    success: outcome.success,
  };
  if (recorded.unit !== undefined) event.unit = recorded.unit;
  const fields = event as Record<string, unknown>;
  for (const { field } of METRIC_TABLE) {
    if (field !== 'success' && outcome[field] !== undefined) fields[field] = outcome[field];
  }
  addShadowParts(event, recorded);
  if (recorded.decisionId !== undefined) event.decisionId = recorded.decisionId;
  if (recorded.covariates !== undefined) event.covariates = recorded.covariates;
  event.configVersion = recorded.configVersion;
  return event;
}
