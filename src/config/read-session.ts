import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';

/** What a file looked like when it was read. */
interface Fingerprint {
  readonly exists: boolean;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly hash: string;
  /** The file's size or mtime moved while it was being read. */
  readonly moving: boolean;
}

/** How long a read session waits for files to settle, and how often it tries again. */
export interface StableReadOptions {
  /** A file must be unchanged this long before it is served. Default 40 ms; 0 turns it off. */
  stabilityMs?: number;
}

/** Default of {@link StableReadOptions.stabilityMs}. */
export const DEFAULT_STABILITY_MS = 40;

const ABSENT: Fingerprint = {
  exists: false,
  size: -1,
  mtimeMs: -1,
  ino: -1,
  hash: '',
  moving: false,
};

function fingerprintOf(
  info: { size: number; mtimeMs: number; ino: number },
  content: Buffer,
): Omit<Fingerprint, 'moving'> {
  return {
    exists: true,
    size: info.size,
    mtimeMs: info.mtimeMs,
    ino: info.ino,
    hash: createHash('sha256').update(content).digest('hex'),
  };
}

function same(a: Omit<Fingerprint, 'moving'>, b: Omit<Fingerprint, 'moving'>): boolean {
  return (
    a.exists === b.exists &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ino === b.ino &&
    a.hash === b.hash
  );
}

async function look(path: string): Promise<Omit<Fingerprint, 'moving'>> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ...ABSENT, exists: true, ino: info.ino, mtimeMs: info.mtimeMs };
    return fingerprintOf(info, await readFile(path));
  } catch {
    return ABSENT;
  }
}

/**
 * Records every file one configuration load reads (size, mtime, inode and content hash), so
 * that the load can be served only once every one of them is complete on disk: none changed
 * while the load was reading, and none changed within the stability window. A load that reads
 * through a session and then finds {@link ReadSession.settle} false must be done again.
 */
export class ReadSession {
  private readonly files = new Map<string, Fingerprint>();

  /** Reads a whole file, remembering what it looked like. Errors (ENOENT, ...) propagate. */
  async read(path: string): Promise<Buffer> {
    let before: Awaited<ReturnType<typeof stat>>;
    try {
      before = await stat(path);
    } catch (error) {
      this.files.set(path, ABSENT);
      throw error;
    }
    const content = await readFile(path);
    const after = await stat(path).catch(() => undefined);
    const moving =
      after === undefined ||
      after.size !== before.size ||
      after.mtimeMs !== before.mtimeMs ||
      after.ino !== before.ino ||
      content.length !== after.size;
    this.files.set(path, { ...fingerprintOf(before, content), moving });
    return content;
  }

  /** Remembers that a path was looked for and found missing (a file appearing later counts). */
  missing(path: string): void {
    this.files.set(path, ABSENT);
  }

  /**
   * Waits until every file read has been still for `stabilityMs` (at most that long, so a file
   * dated in the future cannot stall a load), then checks each against what was read. True when
   * the load saw every file whole; false when it must be done again.
   */
  async settle(stabilityMs: number, now: () => number = Date.now): Promise<boolean> {
    let youngest = Number.POSITIVE_INFINITY;
    for (const file of this.files.values()) {
      if (file.moving) {
        // Caught mid-write: try again once the writer may be done, not at once in a loop.
        await new Promise((resolve) => setTimeout(resolve, stabilityMs));
        return false;
      }
      if (file.exists) youngest = Math.min(youngest, now() - file.mtimeMs);
    }
    if (stabilityMs > 0 && youngest < stabilityMs) {
      const wait = Math.min(stabilityMs, stabilityMs - youngest);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    for (const [path, file] of this.files) {
      if (!same(file, await look(path))) return false;
    }
    return true;
  }

  /** The files read, for messages. */
  get paths(): string[] {
    return [...this.files.keys()];
  }
}
