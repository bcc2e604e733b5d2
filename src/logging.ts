import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/types.js';

/** Paths pino masks wherever they appear in a log line: the salt is a secret. */
export const REDACTED_PATHS = [
  'user_hash_salt',
  '*.user_hash_salt',
  'settings.user_hash_salt',
  'salt',
];

/**
 * flagroute's default logger: JSON lines on stderr, so stdout stays the caller's. Writes are
 * synchronous so that nothing is lost when a command exits right after logging; flagroute logs
 * rarely (reloads, transitions, rollbacks) unless detailed logging is on.
 */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    { name: 'flagroute', level, redact: { paths: REDACTED_PATHS, censor: '[secret]' } },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** Shows a secret as its length only. */
export function maskSecret(secret: string): string {
  return secret.length === 0 ? '(empty)' : `****** (${secret.length} characters)`;
}
