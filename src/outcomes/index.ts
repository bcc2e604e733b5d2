/**
 * The outcome path: an outcome is parsed (one parser, built from
 * schemas/outcome-event.schema.json), tied to its decision (a ledger of decision ids, or the
 * decision itself), recorded by the router, and accumulated per backend and cohort; the event
 * log writes it as a line for user-level analysis.
 *
 * @packageDocumentation
 */
export {
  DecisionLedger,
  type IssuedDecision,
  type LedgerEntry,
  type TokenTie,
} from './decision-ledger.js';
export {
  OutcomeEventLog,
  type OutcomeEventLogOptions,
  type OutcomeSink,
  outcomeEventOf,
} from './event-log.js';
export {
  type AllocationPeriod,
  type Assignment,
  allocationPeriod,
  EXPOSURE_MEMORY,
  EXPOSURE_SCHEMA_VERSION,
  type ExposureEvent,
  ExposureLedger,
} from './exposures.js';
export { tieFailure, tieSuccess } from './guide-calls.js';
export { type LedgerMiss, ledgerMissMessage } from './ledger-miss.js';
export { LEDGER_SIZE, LEDGER_TTL_MS, type LedgerOptions } from './ledger-options.js';
export { lineProblem, type OutcomeProblem } from './line-problem.js';
export { OutcomeStats, type OutcomeSummary } from './outcome-stats.js';
export {
  type KeptOutcomeRecording,
  type OutcomeStore,
  outcomeKey,
  recordOutcomesOnce,
  type StoredOutcome,
  storedOutcomeOf,
} from './outcome-store.js';
export {
  type OutcomeDecision,
  type OutcomeEvent,
  type OutcomeReport,
  type OutcomeShape,
  type OutcomeShapes,
  type PostedOutcome,
  parseOutcome,
} from './parse-outcome.js';
export {
  PerformanceTracker,
  type SeriesSummary,
  SLICE_MS,
  WINDOW_SLICES,
} from './performance-tracker.js';
export {
  type OutcomeOrigin,
  type OutcomeRecording,
  type RecordedBatch,
  type RecordedOutcome,
  type RecordOptions,
  recordOutcome,
  recordOutcomes,
} from './record-outcomes.js';
export {
  MAX_REQUEST_COVARIATE_COLUMNS,
  ONE_ENTRY,
  orderedEntries,
  type RequestCovariateProduct,
  type RequestCovariateSnapshot,
  RequestCovariateSums,
  VALUE_ENTRY,
} from './request-covariates.js';
export { SETTLED_MEMORY, SettledDecisions, type SettledStatus } from './settled-decisions.js';
export {
  addShadowParts,
  type JudgePreference,
  PREFERENCE_WINNERS,
  type PreferenceWinner,
  pairRefusal,
  type ShadowOutcome,
  type ShadowParts,
} from './shadow-pair.js';
export {
  MAX_OUTCOMES_PER_BATCH,
  settleAll,
  type TiedBatch,
  type TiedOutcome,
  tieOutcome,
  tieOutcomes,
} from './tie-outcome.js';
export { type RefusalCounts, type TieRefusal, TieRefusals } from './tie-refusals.js';
export { unitDigest, unitKey, unitKeyOfDigest } from './unit-key.js';
