/**
 * Experiment statistics: LightRAG against Perplexity on every outcome metric, from events,
 * per-arm sufficient statistics or Prometheus; the outcome event log; power planning.
 *
 * @packageDocumentation
 */
export {
  analyzeExperiment,
  type ExperimentOptions,
  type ExperimentReport,
  METRIC_DIRECTIONS,
  type MetricReport,
  type NoWinnerReason,
  reportFromEvents,
} from './analyze-experiment.js';
export { type ArmMoments, type ArmSummary, summarize } from './arm-moments.js';
export { EventAccumulator } from './event-accumulator.js';
export {
  type AnalysisUnit,
  type Arm,
  checkEvent,
  checkStats,
  type ExperimentStats,
  type OutcomeEvent,
} from './experiment-data.js';
export {
  logOutcomes,
  OutcomeEventLog,
  type OutcomeEventLogOptions,
  type OutcomeSink,
  outcomeEventOf,
} from './outcome-event-log.js';
export { type ExperimentPlan, type PlanInput, planExperiment } from './plan-experiment.js';
export { type PrometheusSourceOptions, statsFromPrometheus } from './prometheus-source.js';
export { type MalformedLine, type ReadEvents, readEventFiles } from './read-events.js';
export { renderReportHtml, renderReportText } from './render-report.js';
export { unitKey } from './unit-key.js';
