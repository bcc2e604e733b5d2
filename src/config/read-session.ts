import { readFile, stat } from 'node:fs/promises';

/** What a file looked like when it was read. */
interface Fingerprint {
  readonly exists: boolean;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /**
   * The content itself, compared byte for byte when the file is looked at again: a sha256 of
   * it was 0.37 ms of CPU for a 600 KB rule file, twice a load, against 0.01 to compare.
   */
  readonly content: Buffer;
  /** The file's size or mtime moved while it was being read. */
  readonly moving: boolean;
  /** The content ends in a line break (an empty file does not). */
  readonly endsLine: boolean;
}

/** How long a read session waits for files to settle, and how often it tries again. */
export interface StableReadOptions {
  /** A file must be unchanged this long before it is served. Default 40 ms; 0 turns it off. */
  stabilityMs?: number;
}

/** Default of {@link StableReadOptions.stabilityMs}. */
export const DEFAULT_STABILITY_MS = 40;

/**
 * How long a file that does not end in a line break must be unchanged before it is served.
 * Such a file is most likely one a writer is still writing (every editor ends a YAML file with
 * a line break), so it is re-checked until it ends in one, or until it has been still this
 * long (a file saved without a final line break is then served as it is).
 */
export const INCOMPLETE_LINE_MS = 1_000;

/** The shortest wait between two checks of files that are not yet still long enough. */
const MIN_RECHECK_MS = 20;

/** What {@link ReadSession.settle} waits for, and with which clock. */
export interface SettleOptions {
  /** A file must be unchanged this long; 0 turns off every wait (both this and the next). */
  stabilityMs: number;
  /** A file not ending in a line break must be unchanged this long. Default 1 s. */
  incompleteLineMs?: number;
  /** The wall clock, for the files' ages (mtime). Default `Date.now`. */
  now?: () => number;
  /** Waits; default a timer. Tests pass one that moves their clock. */
  sleep?: (ms: number) => Promise<void>;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const ABSENT: Fingerprint = {
  exists: false,
  size: -1,
  mtimeMs: -1,
  ino: -1,
  content: Buffer.alloc(0),
  moving: false,
  endsLine: true,
};

type Seen = Omit<Fingerprint, 'moving' | 'endsLine'>;

function fingerprintOf(
  info: { size: number; mtimeMs: number; ino: number },
  content: Buffer,
): Seen {
  return {
    exists: true,
    size: info.size,
    mtimeMs: info.mtimeMs,
    ino: info.ino,
    content,
  };
}

function same(a: Seen, b: Seen): boolean {
  return (
    a.exists === b.exists &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ino === b.ino &&
    a.content.equals(b.content)
  );
}

async function look(path: string): Promise<Seen> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ...ABSENT, exists: true, ino: info.ino, mtimeMs: info.mtimeMs };
    return fingerprintOf(info, await readFile(path));
  } catch {
    return ABSENT;
  }
}

/**
 * Records every file one configuration load reads (size, mtime, inode and content), so
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
    const endsLine = content.length > 0 && content[content.length - 1] === 0x0a;
    this.files.set(path, { ...fingerprintOf(before, content), moving, endsLine });
    return content;
  }

  /** Remembers that a path was looked for and found missing (a file appearing later counts). */
  missing(path: string): void {
    this.files.set(path, ABSENT);
  }

  /**
   * Waits until every file read has been still long enough, then checks each against what was
   * read. True when the load saw every file whole; false when it must be done again. Long
   * enough is `stabilityMs` for a file ending in a line break, and `incompleteLineMs` for one
   * that does not: a writer paused mid-line. The waits are bounded by those times whatever the
   * files' dates, so a file dated in the future cannot stall a load.
   */
  async settle(options: SettleOptions | number): Promise<boolean> {
    const {
      stabilityMs,
      incompleteLineMs = INCOMPLETE_LINE_MS,
      now = Date.now,
      sleep = timer,
    } = typeof options === 'number' ? { stabilityMs: options } : options;
    for (const file of this.files.values()) {
      if (file.moving) {
        // Caught mid-write: try again once the writer may be done, not at once in a loop.
        await sleep(stabilityMs);
        return false;
      }
    }
    const longest = stabilityMs > 0 ? Math.max(stabilityMs, incompleteLineMs) : 0;
    const recheck = Math.max(stabilityMs, MIN_RECHECK_MS);
    for (let waited = 0; ; ) {
      const hold = Math.min(this.holdMs(stabilityMs, incompleteLineMs, now()), longest - waited);
      if (hold > 0) {
        const wait = Math.min(hold, recheck);
        await sleep(wait);
        waited += wait;
      }
      for (const [path, file] of this.files) {
        if (!same(file, await look(path))) return false;
      }
      if (hold <= recheck) return true;
    }
  }

  /** How much longer the youngest file must stay still, by its age and whether it ends a line. */
  private holdMs(stabilityMs: number, incompleteLineMs: number, at: number): number {
    if (stabilityMs <= 0) return 0;
    let hold = 0;
    for (const file of this.files.values()) {
      if (!file.exists || file.size < 0) continue;
      const needed = file.endsLine ? stabilityMs : Math.max(stabilityMs, incompleteLineMs);
      hold = Math.max(hold, Math.min(needed, needed - (at - file.mtimeMs)));
    }
    return hold;
  }

  /** The files read, for messages. */
  get paths(): string[] {
    return [...this.files.keys()];
  }
}
