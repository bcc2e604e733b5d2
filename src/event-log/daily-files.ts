import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FileIdentity, LogFileHandle, LogFileSystem } from './log-file-system.js';
import { logFileName, pruneLogFiles } from './log-files.js';

/** What {@link DailyFiles} needs: where, whose, how large, and the file system. */
export interface DailyFilesOptions {
  dir: string;
  /** The kind of record, singular, for log lines. */
  kind: string;
  /** The files' prefix (`outcomes`). */
  prefix: string;
  instance: string;
  maxFileBytes: number;
  maxTotalBytes: number;
  files: LogFileSystem;
  logger: Logger | undefined;
}

interface OpenFile {
  handle: LogFileHandle;
  name: string;
  day: string;
  index: number;
  /** Bytes of whole lines in the file. */
  size: number;
  identity: FileIdentity;
  /** Not to be written again (a failed write could not be cut back): the next batch opens a new file. */
  broken: boolean;
}

/**
 * This process's file of the day: opened exclusively (a name another process holds is
 * skipped), checked by identity before every batch (a file deleted or moved away is replaced by
 * a new one; a deleted directory is made again), rotated past the size limit and at a day's end,
 * written in whole lines only (a failed write is cut back to the last whole line), and the
 * directory's oldest files pruned whenever a new one opens.
 */
export class DailyFiles {
  /** Times the file was found deleted or replaced and a new one opened. */
  reopened = 0;
  private file: OpenFile | undefined;
  private pruning: Promise<void> = Promise.resolve();

  constructor(private readonly options: DailyFilesOptions) {}

  /**
   * Appends the first of `lines` that belong to the first one's day and fit the file (at least
   * one), in one write; returns how many. Throws the file system's error when they could not be
   * written, with no part of them left in the file.
   */
  async append(days: string[], sizes: number[], lines: string[]): Promise<number> {
    const day = days[0]!;
    const file = await this.fileFor(day, sizes[0]!);
    let count = 1;
    let bytes = sizes[0]!;
    while (
      count < lines.length &&
      days[count] === day &&
      file.size + bytes + sizes[count]! <= this.options.maxFileBytes
    ) {
      bytes += sizes[count]!;
      count += 1;
    }
    await this.appendWhole(file, Buffer.from(lines.slice(0, count).join('')));
    return count;
  }

  /** Closes the file once pruning is done. */
  async close(): Promise<void> {
    await this.pruning;
    await this.closeFile();
  }

  /** Appends whole lines; on a failure, cuts off whatever part of them reached the file. */
  private async appendWhole(file: OpenFile, buffer: Buffer): Promise<void> {
    let offset = 0;
    try {
      while (offset < buffer.length) {
        const wrote = await file.handle.append(buffer, offset);
        if (wrote <= 0) {
          throw Object.assign(new Error('the disk took no bytes'), { code: 'ENOSPC' });
        }
        offset += wrote;
      }
    } catch (error) {
      if (offset > 0) {
        await file.handle.truncate(file.size).catch((cutError: unknown) => {
          file.broken = true;
          this.options.logger?.error(
            { err: cutError, dir: this.options.dir, file: file.name },
            `a partly written ${this.options.kind} event line could not be cut off ${file.name}; a reader skips it as malformed, and writing goes on in a new file`,
          );
        });
      }
      throw error;
    }
    file.size += buffer.length;
  }

  /** The file for a day: the open one, or a new one past the size limit, a day's end or a deletion. */
  private async fileFor(day: string, bytes: number): Promise<OpenFile> {
    const file = this.file;
    if (!file) return this.open(day, 0);
    if (
      file.broken ||
      file.day !== day ||
      (file.size > 0 && file.size + bytes > this.options.maxFileBytes)
    ) {
      await this.closeFile();
      return this.open(day, file.day === day ? file.index + 1 : 0);
    }
    if (await this.stillThere(file)) return file;
    this.reopened += 1;
    this.options.logger?.warn(
      { dir: this.options.dir, file: file.name },
      `the ${this.options.kind} event log file ${file.name} was deleted or moved away (log rotation?); writing goes on in a new file`,
    );
    await this.closeFile();
    return this.open(day, file.index);
  }

  private async stillThere(file: OpenFile): Promise<boolean> {
    const now = await this.options.files.identity(join(this.options.dir, file.name));
    return now !== null && now.dev === file.identity.dev && now.ino === file.identity.ino;
  }

  /** Creates this process's next file of the day (a name taken already is skipped). */
  private async open(day: string, from: number): Promise<OpenFile> {
    let madeDir = false;
    for (let index = from; ; index += 1) {
      const name = logFileName(this.options.prefix, day, this.options.instance, index);
      let handle: LogFileHandle;
      try {
        handle = await this.options.files.create(join(this.options.dir, name));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'ENOENT' || madeDir) throw error;
        // The directory was deleted: make it again, and try the same name.
        await this.options.files.mkdir(this.options.dir);
        madeDir = true;
        index -= 1;
        continue;
      }
      try {
        const identity = await handle.identity();
        this.file = { handle, name, day, index, size: 0, identity, broken: false };
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw error;
      }
      this.pruning = this.pruning.then(() => this.prune(name, day));
      return this.file;
    }
  }

  private async prune(current: string, day: string): Promise<void> {
    try {
      await pruneLogFiles(
        this.options.files,
        this.options.dir,
        this.options.prefix,
        this.options.maxTotalBytes,
        current,
        { instance: this.options.instance, day },
      );
    } catch (error) {
      this.options.logger?.warn(
        { err: error, dir: this.options.dir },
        `old ${this.options.kind} event log files could not be pruned`,
      );
    }
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.handle.close().catch(() => undefined);
  }
}
