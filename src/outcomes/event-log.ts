import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { METRIC_TABLE } from '../metrics/index.js';
import type { OutcomeEvent } from './parse-outcome.js';
import type { RecordedOutcome } from './record-outcomes.js';

/** Options of {@link OutcomeEventLog}. */
export interface OutcomeEventLogOptions {
  /** Directory of the daily files; created if missing. */
  dir: string;
  /** A file is closed and the next one opened past this size. Default 64 MiB. */
  maxFileBytes?: number;
  /** Oldest files are deleted while the directory's logs exceed this. Default 1 GiB. */
  maxTotalBytes?: number;
  /** Events waiting for the disk beyond this are dropped (and counted), never queued. Default 4 MiB. */
  maxPendingBytes?: number;
  logger?: Logger;
}

const FILE = /^outcomes-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$/;

interface LogFile {
  day: string;
  index: number;
  name: string;
}

function fileName(day: string, index: number): string {
  return index === 0 ? `outcomes-${day}.jsonl` : `outcomes-${day}.${index}.jsonl`;
}

function byAge(a: LogFile, b: LogFile): number {
  return a.day === b.day ? a.index - b.index : a.day < b.day ? -1 : 1;
}

/**
 * The outcome event log: one JSON line per outcome in daily files (`outcomes-YYYY-MM-DD.jsonl`,
 * then `.1`, `.2`, ... past the size limit), the oldest deleted beyond a total size. Writing
 * never blocks a caller: lines go to a file stream and, while the disk is behind by more than
 * `maxPendingBytes`, new events are dropped and counted instead of queued without bound. On a
 * clean `close()` every accepted line is on disk; a crash loses at most what was pending.
 */
export class OutcomeEventLog {
  private readonly maxFileBytes: number;
  private readonly maxTotalBytes: number;
  private readonly maxPendingBytes: number;
  private stream: WriteStream | undefined;
  private current: LogFile | undefined;
  private bytesInFile = 0;
  private readonly closing: Promise<void>[] = [];
  private failed = false;
  /** Events not written: the disk was behind, or the file could not be written. */
  dropped = 0;
  /** Events accepted for writing. */
  written = 0;

  constructor(private readonly options: OutcomeEventLogOptions) {
    this.maxFileBytes = options.maxFileBytes ?? 64 * 1024 * 1024;
    this.maxTotalBytes = options.maxTotalBytes ?? 1024 * 1024 * 1024;
    this.maxPendingBytes = options.maxPendingBytes ?? 4 * 1024 * 1024;
    mkdirSync(options.dir, { recursive: true });
  }

  /** Appends one event (its `time` picks the day's file). */
  write(event: OutcomeEvent): void {
    if (this.failed || (this.stream && this.stream.writableLength > this.maxPendingBytes)) {
      this.dropped += 1;
      return;
    }
    const line = `${JSON.stringify(event)}\n`;
    const size = Buffer.byteLength(line);
    const stream = this.streamFor(event.time.slice(0, 10), size);
    stream.write(line);
    this.bytesInFile += size;
    this.written += 1;
  }

  private streamFor(day: string, size: number): WriteStream {
    const current = this.current;
    if (
      this.stream &&
      current &&
      current.day === day &&
      this.bytesInFile + size <= this.maxFileBytes
    ) {
      return this.stream;
    }
    let next: LogFile;
    if (current && current.day === day) next = { day, index: current.index + 1, name: '' };
    else next = this.resume(day, size);
    next.name = fileName(next.day, next.index);
    this.endStream();
    this.current = next;
    const stream = createWriteStream(join(this.options.dir, next.name), { flags: 'a' });
    stream.on('error', (error) => {
      if (!this.failed)
        this.options.logger?.error(
          { err: error, file: next.name },
          'outcome event log cannot be written; events are dropped',
        );
      this.failed = true;
    });
    this.stream = stream;
    this.closing.push(this.prune());
    return stream;
  }

  /** The day's last file, continued if it has room (a restart appends rather than overwrites). */
  private resume(day: string, size: number): LogFile {
    const files = this.files().filter((file) => file.day === day);
    const last = files.at(-1);
    if (!last) {
      this.bytesInFile = 0;
      return { day, index: 0, name: '' };
    }
    const bytes = statSync(join(this.options.dir, last.name)).size;
    if (bytes + size <= this.maxFileBytes) {
      this.bytesInFile = bytes;
      return last;
    }
    this.bytesInFile = 0;
    return { day, index: last.index + 1, name: '' };
  }

  private endStream(): void {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    this.bytesInFile = 0;
    this.closing.push(new Promise((resolve) => stream.end(resolve)));
  }

  private files(): LogFile[] {
    const files: LogFile[] = [];
    for (const name of readdirSync(this.options.dir)) {
      const match = FILE.exec(name);
      if (match) files.push({ day: match[1]!, index: Number(match[2] ?? 0), name });
    }
    return files.sort(byAge);
  }

  /** Deletes the oldest files (never the one being written) while the total is over the limit. */
  private async prune(): Promise<void> {
    const files = this.files().map((file) => ({
      ...file,
      bytes: statSync(join(this.options.dir, file.name)).size,
    }));
    let total = files.reduce((sum, file) => sum + file.bytes, 0);
    for (const file of files) {
      if (total <= this.maxTotalBytes || file.name === this.current?.name) break;
      total -= file.bytes;
      await unlink(join(this.options.dir, file.name)).catch(() => undefined);
    }
  }

  /** Writes out everything accepted and closes the file. */
  async close(): Promise<void> {
    this.endStream();
    await Promise.all(this.closing);
  }
}

/**
 * Where a router writes the outcomes it records, as event log lines: an {@link OutcomeEventLog},
 * or any writer of events (a database table, a queue). `write` must not block or throw.
 */
export interface OutcomeSink {
  write(event: OutcomeEvent): void;
}

/** A recorded outcome as an event-log line; null when it has no cohort (not in any experiment). */
export function outcomeEventOf(recorded: RecordedOutcome): OutcomeEvent | null {
  if (recorded.cohort === null) return null;
  const { outcome } = recorded;
  const event: OutcomeEvent = {
    time: new Date(recorded.time).toISOString(),
    cohort: recorded.cohort,
    backend: recorded.backend,
    success: outcome.success,
  };
  if (recorded.unit !== undefined) event.unit = recorded.unit;
  const fields = event as Record<string, unknown>;
  for (const { field } of METRIC_TABLE) {
    if (field !== 'success' && outcome[field] !== undefined) fields[field] = outcome[field];
  }
  if (recorded.decisionId !== undefined) event.decisionId = recorded.decisionId;
  event.configVersion = recorded.configVersion;
  return event;
}
