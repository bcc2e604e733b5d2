import {
  type LogFileHandle,
  type LogFileSystem,
  nodeFileSystem,
} from '../../src/event-log/index.js';

/** A file-system error as Node gives it. */
export function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** Which operation fails, with which code; `partial`: the write takes half its bytes first. */
export interface Fault {
  op: 'append' | 'create' | 'truncate';
  code: string;
  partial?: boolean;
  /** The fault fires once, then the operation works again. */
  once?: boolean;
}

/**
 * The real file system with faults injected where a test says, since a full or failing disk
 * cannot be made without privileges. A `partial` append fault behaves as a disk filling up
 * mid-write does: the first write takes half of what it was given (for real, into the file) and
 * returns short, the next one fails.
 */
export class FaultyFiles implements LogFileSystem {
  faults: Fault[] = [];
  /** Bytes that reached files through short writes. */
  partialBytes = 0;

  private failing(op: Fault['op']): Fault | undefined {
    return this.faults.find((fault) => fault.op === op);
  }

  private fired(fault: Fault): void {
    if (fault.once) this.faults = this.faults.filter((other) => other !== fault);
  }

  async create(path: string): Promise<LogFileHandle> {
    const fault = this.failing('create');
    if (fault) {
      this.fired(fault);
      throw systemError(fault.code);
    }
    const handle = await nodeFileSystem.create(path);
    let shortened = false;
    return {
      append: async (buffer, offset) => {
        const fault = this.failing('append');
        if (!fault) {
          shortened = false;
          return handle.append(buffer, offset);
        }
        if (fault.partial && !shortened && buffer.length - offset > 1) {
          shortened = true;
          const half = Math.floor((buffer.length - offset) / 2);
          const wrote = await handle.append(buffer.subarray(0, offset + half), offset);
          this.partialBytes += wrote;
          return wrote;
        }
        this.fired(fault);
        throw systemError(fault.code);
      },
      truncate: async (size) => {
        const fault = this.failing('truncate');
        if (fault) {
          this.fired(fault);
          throw systemError(fault.code);
        }
        await handle.truncate(size);
      },
      identity: () => handle.identity(),
      close: () => handle.close(),
    };
  }

  identity(path: string) {
    return nodeFileSystem.identity(path);
  }

  mkdir(dir: string) {
    return nodeFileSystem.mkdir(dir);
  }

  list(dir: string) {
    return nodeFileSystem.list(dir);
  }

  size(path: string) {
    return nodeFileSystem.size(path);
  }

  remove(path: string) {
    return nodeFileSystem.remove(path);
  }
}
