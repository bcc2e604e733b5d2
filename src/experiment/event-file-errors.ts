import { FlagrouteError } from '../errors.js';
import { fileErrorReason } from '../file-errors.js';

/**
 * A file that cannot be read, as an `INVALID_DATA` error naming the file as it was given (never
 * resolved to an absolute path) and what went wrong in words, not Node's message (which repeats
 * the path).
 */
export function unreadableFile(file: string, error: unknown): FlagrouteError {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EISDIR') return directoryGiven(file);
  return new FlagrouteError('INVALID_DATA', `cannot read ${file}: ${fileErrorReason(error)}`, {
    cause: error,
  });
}

/** A directory where an event file was expected. */
export function directoryGiven(file: string): FlagrouteError {
  const dir = file.replace(/\/+$/, '') || '/';
  return new FlagrouteError(
    'INVALID_DATA',
    `cannot read ${file}: it is a directory; name the event files in it (for example ${dir}/*.jsonl)`,
  );
}

/** Compressed data that does not inflate: a damaged or truncated gzip file. */
export function badGzip(file: string, linesRead: number, error: unknown): FlagrouteError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = (error as Error | undefined)?.message ?? String(error);
  const what =
    code === 'Z_BUF_ERROR'
      ? 'the gzip data ends early (a truncated file?)'
      : `not valid gzip data (${message})`;
  const where = linesRead === 0 ? 'at its start' : `after line ${linesRead}`;
  return new FlagrouteError('INVALID_DATA', `${file}: ${what}, ${where}`, {
    cause: error,
  });
}

/** A line longer than the readers' limit. */
export function lineTooLong(file: string, line: number, maxLineBytes: number): FlagrouteError {
  return new FlagrouteError(
    'INVALID_DATA',
    `${file}:${line}: the line is longer than ${describeBytes(maxLineBytes)}, the limit of an event line (an outcome event is a few hundred bytes): not an event log? Reading stopped`,
  );
}

function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
