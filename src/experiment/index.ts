/**
 * Experiment statistics: LightRAG against Perplexity on every outcome metric, from events,
 * per-arm sufficient statistics or Prometheus; reading event files; power planning.
 *
 * @packageDocumentation
 */
export {
  analyzeExperiment,
  type ExperimentOptions,
  type ExperimentReport,
  type NoWinnerReason,
  reportFromEvents,
} from './analyze-experiment.js';
export { type ArmMoments, type ArmSummary, summarize } from './arm-moments.js';
export { EventAccumulator } from './event-accumulator.js';
export {
  type AnalysisUnit,
  type Arm,
  checkStats,
  type ExperimentStats,
} from './experiment-data.js';
export { LineSplitter, MAX_LINE_BYTES } from './line-splitter.js';
export {
  type MetricReport,
  MISSING_REASONS,
  type MissingReason,
} from './metric-report.js';
export { type ExperimentPlan, type PlanInput, planExperiment } from './plan-experiment.js';
export { type PrometheusSourceOptions, statsFromPrometheus } from './prometheus-source.js';
export type { MalformedLine } from './read-event-part.js';
export {
  type EventLine,
  type ReadEventOptions,
  type ReadEvents,
  readEventFiles,
} from './read-events.js';
export { renderReportHtml, renderReportText } from './render-report.js';
