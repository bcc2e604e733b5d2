import { type Logger, pino } from 'pino';
import type { LogLevel } from './config/types.js';

/** Paths pino masks wherever they appear in a log line: the salt is a secret. */
export const REDACTED_PATHS = [
  'user_hash_salt',
  '*.user_hash_salt',
  'settings.user_hash_salt',
  'salt',
];

/** Log text gathered before a write, in UTF-16 code units (at most 48 KiB of UTF-8). */
const BATCH_CHARS = 16 * 1024;

/** The pending text of every batched destination, written out at exit. */
const flushes = new Set<() => void>();

function flushAll(): void {
  for (const flush of flushes) flush();
}

/**
 * A destination on stderr that gathers lines and writes them synchronously, in order, at the
 * next turn of the event loop or when 16 Ki characters have gathered, whichever comes first. A
 * write per line cost 10 to 150 us a decision with detailed logging on (a pipe's reader wakes
 * per write). The batch is gathered here, not by sonic-boom's `minLength`: sonic-boom measures
 * the UTF-8 length of its whole pending buffer on every write, which flattened and re-measured
 * about 8 KiB per line. Memory stays within the batch, a slow reader slows the writer rather
 * than losing lines, and every line is out when the process exits (also by `process.exit` or an
 * uncaught exception); only a kill (SIGKILL) loses the lines of the current turn.
 */
function batchedStderr(): { write(line: string): void; flush(): void } {
  const destination = pino.destination({ dest: 2, sync: true });
  // Lines in an array, joined once per write: `join` builds one flat string, where `+=` builds
  // a rope that the write then has to flatten.
  let batch: string[] = [];
  let gathered = 0;
  let scheduled = false;
  const flush = () => {
    if (batch.length === 0) return;
    const text = batch.join('');
    batch = [];
    gathered = 0;
    destination.write(text);
  };
  const flushSoon = () => {
    scheduled = false;
    flush();
  };
  if (flushes.size === 0) process.once('exit', flushAll);
  flushes.add(flush);
  return {
    write(line) {
      batch.push(line);
      gathered += line.length;
      if (gathered >= BATCH_CHARS) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flushSoon).unref();
      }
    },
    flush,
  };
}

/** flagroute's default logger: JSON lines on stderr (stdout stays the caller's), batched. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    { name: 'flagroute', level, redact: { paths: REDACTED_PATHS, censor: '[secret]' } },
    batchedStderr(),
  );
}
