export { EventLog, type EventLogOptions, type EventLogView } from './event-log.js';
export {
  type FileIdentity,
  type LogFileHandle,
  type LogFileSystem,
  nodeFileSystem,
} from './log-file-system.js';
export {
  checkInstance,
  defaultInstance,
  type LogFileName,
  logFileName,
  parseLogFileName,
} from './log-files.js';
export { type EventLogHealth, type HealthCounts, healthOf } from './log-health.js';
export {
  DROP_REASONS,
  type DropReason,
  FAILURE_SUMMARIES,
  WRITE_FAILURES,
  type WriteFailure,
  writeFailureOf,
} from './write-failures.js';
