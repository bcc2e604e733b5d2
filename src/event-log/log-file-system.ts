import { open, readdir, stat, unlink } from 'node:fs/promises';
import { makeDirectory } from '../make-directory.js';

/** An open log file, as the writer uses it. */
export interface LogFileHandle {
  /** Writes `buffer[offset..]` at the file's end; resolves with how many bytes went in. */
  append(buffer: Buffer, offset: number): Promise<number>;
  /** Cuts the file back to `size` bytes. */
  truncate(size: number): Promise<void>;
  /** The identity of the open file (device and inode), to tell it from a new file of its name. */
  identity(): Promise<FileIdentity>;
  close(): Promise<void>;
}

/** Device and inode: a file's identity, whatever its name now. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * What an event log needs of the file system: the seam where tests inject a full disk or a
 * failing one (real files, with faults added), since neither can be made without privileges.
 */
export interface LogFileSystem {
  /** Creates `path` for appending; fails with EEXIST when it exists (never two writers on one file). */
  create(path: string): Promise<LogFileHandle>;
  /** The identity of the file now at `path`, or null when there is none. */
  identity(path: string): Promise<FileIdentity | null>;
  mkdir(dir: string): Promise<void>;
  /** The names in a directory. */
  list(dir: string): Promise<string[]>;
  /** Size and modification time of a file. */
  size(path: string): Promise<{ bytes: number; mtimeMs: number }>;
  remove(path: string): Promise<void>;
}

/** The real file system (node:fs). */
export const nodeFileSystem: LogFileSystem = {
  async create(path) {
    // O_APPEND: each write lands at the end as one piece; O_EXCL: the file is this writer's own.
    const handle = await open(path, 'ax');
    return {
      async append(buffer, offset) {
        return (await handle.write(buffer, offset, buffer.length - offset, null)).bytesWritten;
      },
      truncate: (size) => handle.truncate(size),
      async identity() {
        const info = await handle.stat();
        return { dev: info.dev, ino: info.ino };
      },
      close: () => handle.close(),
    };
  },
  async identity(path) {
    try {
      const info = await stat(path);
      return { dev: info.dev, ino: info.ino };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  },
  async mkdir(dir) {
    await makeDirectory(dir);
  },
  list: (dir) => readdir(dir),
  async size(path) {
    const info = await stat(path);
    return { bytes: info.size, mtimeMs: info.mtimeMs };
  },
  remove: (path) => unlink(path),
};
