import type { Backend } from '../config/types.js';
import type { Cohort } from '../decision/types.js';
import { FlagrouteError } from '../errors.js';
import type { Covariates, Outcome } from '../metrics/index.js';
import type { DecisionLedger } from './decision-ledger.js';
import type { OutcomeSink } from './event-log.js';
import type { ShadowParts } from './shadow-pair.js';
import { settleAll, type TiedOutcome, tieOutcome, tieOutcomes } from './tie-outcome.js';

/**
 * A recorded outcome: tied to its decision, with when it was recorded and on which
 * configuration. The router's `outcome` event carries it; sinks receive it as an event line.
 */
export type RecordedOutcome = ShadowParts & {
  backend: Backend;
  cohort: Cohort | null;
  /** The measured values. */
  outcome: Outcome;
  /** When it was recorded (the router's clock, ms since the epoch). */
  time: number;
  /** The user's pseudonymous unit key, when the outcome named its user. */
  unit?: string;
  /** The decision's id, when the outcome named its decision by id. */
  decisionId?: string;
  /** What the decision knew of the query before routing it (for variance reduction). */
  covariates?: Covariates;
  configVersion: string;
};

/**
 * Who reported an outcome: `trusted` (the service's own code in this process, or a client that
 * showed the ingest credential) or `anonymous` (a client without one, on a server started to
 * accept that). Anonymous outcomes may act on this process only: no rollback they trigger is
 * ever written to the environment file.
 */
export type OutcomeOrigin = 'trusted' | 'anonymous';

/** What records tied outcomes: a router's outcome recorder (safety state, figures, sinks). */
export interface OutcomeRecording {
  /** The salt that turns a user id into its pseudonymous unit (see `unitKey`). */
  readonly unitSalt: string;
  /**
   * Records one outcome. `time`: when it was taken (default now); `keptBy`: the outcome store
   * that wrote it already, which is not handed it again as a sink.
   */
  record(tied: TiedOutcome, origin?: OutcomeOrigin, options?: RecordOptions): void;
  /** Whether its sinks can take `count` more outcomes now (see `OutcomeSink.admits`). */
  admits?(count: number): boolean;
}

/** Options of {@link OutcomeRecording.record}. */
export interface RecordOptions {
  time?: number;
  keptBy?: OutcomeSink;
}

/**
 * Records the outcome of the call a decision led to: parsed, tied to the decision, recorded.
 * On any problem an `InvalidOutcomeError` names the field and nothing is recorded.
 */
export function recordOutcome(
  decision: unknown,
  report: unknown,
  recording: OutcomeRecording,
): void {
  recording.record(tieOutcome(decision, report, recording.unitSalt));
}

/**
 * What a batch of posted outcomes came to: how many were recorded, and how many named a
 * decision (by token) that already had its outcome, which were not counted again.
 */
export interface RecordedBatch {
  recorded: number;
  duplicates: number;
}

/**
 * Records a batch of posted outcomes (what `POST /v1/outcomes` and the OpenFeature provider's
 * `track` receive): every item parsed and tied to its decision (by token, by id through
 * `ledger`, or by backend and cohort) before any is recorded; on any problem an
 * `InvalidOutcomeError` lists every bad item and nothing is recorded. An outcome whose token
 * already took one in this process is a duplicate: answered, not counted.
 */
export function recordOutcomes(
  batch: unknown,
  ledger: DecisionLedger,
  recording: OutcomeRecording,
  origin: OutcomeOrigin = 'trusted',
): RecordedBatch {
  const { outcomes, duplicates } = tieOutcomes(batch, ledger, recording.unitSalt, {
    settle: false,
  });
  if (recording.admits && !recording.admits(outcomes.length)) {
    throw new FlagrouteError(
      'EVENTS_BACKLOGGED',
      'the outcome event log is too far behind to take these outcomes; nothing was recorded, send them again shortly',
    );
  }
  settleAll(outcomes, ledger);
  for (const each of outcomes) recording.record(each, origin);
  return { recorded: outcomes.length, duplicates: duplicates.length };
}
