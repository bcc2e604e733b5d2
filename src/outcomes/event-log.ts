import type { Backend } from '../config/types.js';
import type { Cohort } from '../decision/types.js';
import { EventLog, type EventLogOptions } from '../event-log/index.js';
import { type Covariates, METRIC_TABLE, type Outcome } from '../metrics/index.js';
import type { ExposureEvent } from './exposures.js';
import type { OutcomeEvent } from './parse-outcome.js';
import type { RecordedOutcome } from './record-outcomes.js';
import { addShadowParts, type ShadowParts } from './shadow-pair.js';

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
  /**
   * Resolves once every event handed over so far is where readers find it, or failed there and
   * was counted; `POST /v1/outcomes` answers after it, so a client that reads the events next
   * finds its own.
   */
  flushed?(): Promise<void>;
}

/** What an outcome's event line is made of: a recorded or a tied outcome. */
type OutcomeFacts<C extends Cohort | null> = ShadowParts & {
  backend: Backend;
  cohort: C;
  outcome: Outcome;
  unit?: string;
  decisionId?: string;
  covariates?: Covariates;
};

/**
 * An outcome as an event line (schemas/outcome-event.schema.json), at `time` (ms since the
 * epoch) on `configVersion`; its cohort as given (the store keeps a null one, the log does not).
 * The one writer of the line's fields, for the event log and the outcome store alike.
 */
export function outcomeLine<C extends Cohort | null>(
  facts: OutcomeFacts<C>,
  time: number,
  configVersion: string,
): Omit<OutcomeEvent, 'cohort'> & { cohort: C } {
  const { outcome } = facts;
  const event: Omit<OutcomeEvent, 'cohort'> & { cohort: C } = {
    time: new Date(time).toISOString(),
    cohort: facts.cohort,
    backend: facts.backend,
    success: outcome.success,
  };
  if (facts.unit !== undefined) event.unit = facts.unit;
  const fields = event as Record<string, unknown>;
  for (const { field } of METRIC_TABLE) {
    if (field !== 'success' && outcome[field] !== undefined) fields[field] = outcome[field];
  }
  addShadowParts(event, facts);
  if (facts.decisionId !== undefined) event.decisionId = facts.decisionId;
  if (facts.covariates !== undefined) event.covariates = facts.covariates;
  event.configVersion = configVersion;
  return event;
}

/** A recorded outcome as an event-log line; null when it has no cohort (not in any experiment). */
export function outcomeEventOf(recorded: RecordedOutcome): OutcomeEvent | null {
  if (recorded.cohort === null) return null;
  return outcomeLine(recorded as OutcomeFacts<Cohort>, recorded.time, recorded.configVersion);
}
