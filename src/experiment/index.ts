/**
 * Experiment statistics: LightRAG against Perplexity on every outcome metric, from a source
 * (the outcome event log, per-arm sufficient statistics, Prometheus, a live router), with the
 * winner rule; one settings table for the library, the CLI and HTTP; power planning.
 *
 * @packageDocumentation
 */
export {
  analyzeExperiment,
  type ExperimentOptions,
  type ExperimentReport,
  reportFromEvents,
  type SampleRatioReport,
} from './analyze-experiment.js';
export { type ArmMoments, type ArmSummary, armMean, summarize } from './arm-moments.js';
export {
  type ArmCapping,
  applyCapping,
  armCap,
  type CappedStatistics,
  type CappingReport,
} from './capping.js';
export { compareArms, exactInterval } from './compare-arms.js';
export { UnitCovariates } from './covariate-design.js';
export { EventAccumulator } from './event-accumulator.js';
export { lineTooLong } from './event-file-errors.js';
export {
  type AnalysisUnit,
  type Arm,
  checkStats,
  type ExperimentStats,
  type OutcomeGroup,
} from './experiment-data.js';
export {
  EXPERIMENT_SETTING_FIELDS,
  type ExperimentSettings,
  optionsFromText,
  type SettingField,
  type SettingNaming,
  settingsOf,
} from './experiment-settings.js';
export {
  dataFromEvents,
  type EventCountsReport,
  type ExperimentData,
  type ExperimentSource,
  eventsSource,
  type LiveOutcomes,
  type LiveSource,
  liveSource,
  prometheusSource,
  type ReadingCounts,
  SOURCE_KINDS,
  type SourceKind,
  statsFileSource,
  statsSource,
} from './experiment-source.js';
export type { RecordFolder } from './fold-record.js';
export { type LineBytesHandler, LineSplitter, MAX_LINE_BYTES, textLines } from './line-splitter.js';
export {
  type MetricReport,
  MISSING_REASONS,
  type MissingReason,
} from './metric-report.js';
export {
  type DataPlan,
  type DataPlanInput,
  type ExperimentPlan,
  type PlanGuardrail,
  type PlanInput,
  type PlannedGuardrail,
  planExperiment,
  planFromData,
} from './plan-experiment.js';
export {
  PROMETHEUS_RANGE_BOUNDS,
  type PrometheusSourceOptions,
  statsFromPrometheus,
} from './prometheus-source.js';
export { type MalformedLine, readPart } from './read-event-part.js';
export {
  type EventLine,
  type ReadEventOptions,
  type ReadEvents,
  readEventFiles,
} from './read-events.js';
export { renderReportHtml, renderReportText } from './render-report.js';
export { pValueText, verdictText } from './render-verdict.js';
export { type TailSections, tailSections } from './tail-report.js';
export {
  cappingFromText,
  DEFAULT_TAIL_PERCENTILES,
  percentilesFromText,
  type ReportSettings,
  reportSettingsOf,
  type TailOptions,
  type TailSettings,
  tailSettingsOf,
} from './tail-settings.js';
export {
  type ArmTail,
  MIN_VALUES_BEYOND,
  type TailComparison,
  type TailMissing,
  type TailTestReport,
  tailTest,
} from './tail-test.js';
export type { ArmValues, TailData } from './tail-values.js';
export {
  armMomentsOfRow,
  byMetric,
  emptyArmMoments,
  UnitMomentsFold,
  unitMomentSql,
} from './unit-moments.js';
export {
  ADJUSTMENT_METHODS,
  type AdjustmentMethod,
  adjustedArms,
  type CovariateData,
  type UnitCovariateVectors,
  type VarianceReductionReport,
} from './variance-reduction.js';
export {
  type GuardrailCheck,
  NO_WINNER_REASONS,
  type NoWinnerReason,
  type WinnerDecision,
} from './winner-rule.js';
