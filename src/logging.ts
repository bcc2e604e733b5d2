import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/types.js';
import { LogDestination } from './log-destination.js';

/** Paths pino masks wherever they appear in a log line: the salt is a secret. */
export const REDACTED_PATHS = [
  'user_hash_salt',
  '*.user_hash_salt',
  'settings.user_hash_salt',
  'salt',
];

/** Every destination of a default logger, for the wait at exit and the count of drops. */
const destinations = new Set<LogDestination>();
/** The destination of each default logger, for lines framed by flagroute itself. */
const destinationOf = new WeakMap<Logger, LogDestination>();

function flushAll(): void {
  for (const destination of destinations) destination.flushAtExit();
}

/**
 * flagroute's default logger: JSON lines on stderr (stdout stays the caller's), written by a
 * thread of their own (see `LogDestination`), so that a slow reader of the pipe never holds the
 * event loop; past 4 Mi characters waiting, lines are dropped, counted and reported.
 */
export function createLogger(level: LogLevel = 'info'): Logger {
  const destination = new LogDestination(2);
  if (destinations.size === 0) process.once('exit', flushAll);
  destinations.add(destination);
  const logger = pino(
    { name: 'flagroute', level, redact: { paths: REDACTED_PATHS, censor: '[secret]' } },
    destination,
  );
  destinationOf.set(logger, destination);
  return logger;
}

/** Log lines the default loggers of this process have dropped: their readers fell behind. */
export function droppedLogLines(): number {
  let dropped = 0;
  for (const destination of destinations) dropped += destination.dropped;
  return dropped;
}

/**
 * A writer of ready-made lines for `logger` when it is a default logger of flagroute's (see
 * {@link createLogger}), or undefined for any other logger. Each line must be framed exactly as
 * that pino logger would frame it ({@link lineStart}), with a caller's text escaped as the
 * destination escapes pino's lines (`escapeJsonLine`); a caller's own logger, with its own
 * levels, hooks and formatters, always gets the object through pino.
 */
export function lineWriter(logger: Logger): ((line: string) => void) | undefined {
  const destination = destinationOf.get(logger);
  return destination ? (line) => destination.writeEscaped(line) : undefined;
}

const HOSTNAME = JSON.stringify(hostname());

/**
 * The start of a default logger's line up to its bindings, as pino writes it: level, time, pid,
 * hostname and name; the caller adds its fields, `"msg"` and the line break.
 */
export function lineStart(level: number): string {
  return `{"level":${level},"time":${Date.now()},"pid":${process.pid},"hostname":${HOSTNAME},"name":"flagroute"`;
}
