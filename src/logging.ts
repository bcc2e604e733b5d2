import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/types.js';

/** Paths pino masks wherever they appear in a log line: the salt is a secret. */
export const REDACTED_PATHS = [
  'user_hash_salt',
  '*.user_hash_salt',
  'settings.user_hash_salt',
  'salt',
];

/** Log bytes gathered before a write (just under sonic-boom's largest single write). */
const BATCH_BYTES = 16 * 1024 - 1;

type Destination = ReturnType<typeof pino.destination>;
const destinations = new Set<Destination>();

function flushAll(): void {
  for (const destination of destinations) destination.flush();
}

/**
 * A destination on stderr that gathers lines and writes them synchronously, in order, at the
 * next turn of the event loop or when 16 KiB have gathered, whichever comes first. A write per
 * line cost 10 to 150 us a decision with detailed logging on (a pipe's reader wakes per
 * write); gathered, the cost is the line's serialisation. Memory stays within 16 KiB, a slow
 * reader slows the writer rather than losing lines, and every line is out when the process
 * exits (also by `process.exit` or an uncaught exception); only a kill (SIGKILL) loses the lines
 * of the current turn.
 */
function batchedStderr(): { write(line: string): void; flush(): void } {
  const destination = pino.destination({ dest: 2, sync: true, minLength: BATCH_BYTES });
  if (destinations.size === 0) process.once('exit', flushAll);
  destinations.add(destination);
  let scheduled = false;
  const flushSoon = () => {
    scheduled = false;
    destination.flush();
  };
  return {
    write(line) {
      destination.write(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushSoon).unref();
      }
    },
    flush: () => destination.flush(),
  };
}

/** flagroute's default logger: JSON lines on stderr (stdout stays the caller's), batched. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    { name: 'flagroute', level, redact: { paths: REDACTED_PATHS, censor: '[secret]' } },
    batchedStderr(),
  );
}

/** Shows a secret as its length only. */
export function maskSecret(secret: string): string {
  return secret.length === 0 ? '(empty)' : `****** (${secret.length} characters)`;
}
