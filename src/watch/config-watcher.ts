import { realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { DEFAULT_STABILITY_MS } from '../config/read-session.js';

/** How the config directory is watched. */
export interface WatchOptions {
  /** Poll instead of using change events (network mounts). Default false. */
  usePolling?: boolean;
  /** Polling interval in milliseconds. Default 100. */
  pollIntervalMs?: number;
  /** Quiet time after the last change before reloading, so a burst is one reload. Default 10. */
  debounceMs?: number;
  /**
   * Every file a load reads must be unchanged this long (by mtime and content) before the load
   * is served; default 40, 0 turns it off. See `ReadSession`.
   */
  stabilityMs?: number;
}

/**
 * How long chokidar waits for a file's size to stop changing before it reports the event. Short
 * on purpose: the guarantee that no half-written file is served is the load's `ReadSession`
 * (every file still for the whole stability window and unchanged after the read). Waiting the
 * full window here as well only stacked a second 40 ms onto every reload. Not 0: without
 * chokidar's write wait a rename-over save was sometimes never reported.
 */
const EVENT_SETTLE_MS = 10;
const DEFAULT_DEBOUNCE_MS = 10;

const WATCHED_DIRS = new Set(['environments', 'rules']);

/**
 * Whether `rel`, a path relative to the config directory, is watched: the folders of
 * {@link WATCHED_DIRS} and a ConfigMap's `..` entries at the top, and below them every name but
 * a hidden one. A hidden name (one dot, then not a second) is a writer's side file, never
 * configuration: the admin routes' lock (`.production.yaml.lock`, created empty, then given its
 * pid) and temporary file, an editor's swap file (`.production.yaml.swp`). Watched, the lock's
 * second write was now and then reported as a change of its own (when it came more than the
 * event's settle time after the create) and warned about as a file written in place. A
 * ConfigMap's `..data` and `..<timestamp>` stay watched at any depth.
 */
function isWatchedPath(rel: string): boolean {
  if (rel === '') return true;
  const parts = rel.split(sep);
  const top = parts[0] ?? '';
  if (!(WATCHED_DIRS.has(top) || top.startsWith('..'))) return false;
  return !parts.some((part) => part.startsWith('.') && !part.startsWith('..'));
}

/**
 * Watches `environments/` and `rules/` under a config directory (and the `..data` symlink of
 * a Kubernetes ConfigMap volume) and calls `reload` once per burst of changes. Reloads never
 * overlap: changes during a reload cause one more reload after it.
 *
 * A file changed in place (its inode kept) rather than replaced by a rename is reported once
 * per file to `onWrittenInPlace`: a writer that pauses at a line boundary can be read in
 * between, which no reader can detect (docs/hot-reload.md).
 */
export class ConfigWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private targets = '';
  /** The inode each watched file had when last seen. */
  private readonly inodes = new Map<string, number>();
  private readonly warnedInPlace = new Set<string>();

  constructor(
    private readonly configDir: string,
    private readonly reload: () => Promise<void>,
    private readonly options: WatchOptions,
    private readonly logger: Logger,
    private readonly onWrittenInPlace: (file: string) => void = () => {},
  ) {}

  /** Starts watching; resolves once the initial scan is done. */
  async start(): Promise<void> {
    this.targets = await this.resolveTargets();
    await this.open();
  }

  /** Remembers a file's inode; a change that kept it was a write in place. */
  private async noteInode(event: string, path: string): Promise<void> {
    if (event === 'unlink') {
      this.inodes.delete(path);
      return;
    }
    if (event !== 'add' && event !== 'change') return;
    const inode = await stat(path).then(
      (info) => (info.isFile() ? info.ino : undefined),
      () => undefined,
    );
    if (inode === undefined) return;
    const before = this.inodes.get(path);
    this.inodes.set(path, inode);
    if (event !== 'change' || before !== inode || this.warnedInPlace.has(path)) return;
    this.warnedInPlace.add(path);
    const file = relative(this.configDir, path);
    this.logger.warn(
      { file },
      `${file} was written in place: a writer that pauses between lines can be read half-written; save atomically (write a temporary file, then rename it over ${file})`,
    );
    this.onWrittenInPlace(file);
  }

  private async noteInitialInodes(watcher: FSWatcher): Promise<void> {
    for (const [dir, names] of Object.entries(watcher.getWatched())) {
      for (const name of names) await this.noteInode('add', join(dir, name));
    }
  }

  private async open(): Promise<void> {
    const stability = this.options.stabilityMs ?? DEFAULT_STABILITY_MS;
    // Loaded on first use: the commands that do not watch (decide, validate, ...) start without it.
    const { watch } = await import('chokidar');
    const watcher = watch(this.configDir, {
      ignoreInitial: true,
      followSymlinks: true,
      usePolling: this.options.usePolling ?? false,
      interval: this.options.pollIntervalMs ?? 100,
      binaryInterval: this.options.pollIntervalMs ?? 100,
      awaitWriteFinish:
        stability > 0
          ? { stabilityThreshold: Math.min(stability, EVENT_SETTLE_MS), pollInterval: 5 }
          : false,
      ignored: (path) => !isWatchedPath(relative(this.configDir, path)),
    });
    watcher.on('all', (event, path) => {
      this.logger.debug({ event, path }, 'config file event');
      void this.noteInode(event, path);
      this.schedule();
    });
    watcher.on('error', (error) => this.logger.error({ err: error }, 'config watcher error'));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    await this.noteInitialInodes(watcher);
    this.watcher = watcher;
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  private async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      // A ConfigMap update (or a directory created later) points a watched directory at a new
      // target: watch the new one first, so that the reload below covers any change made
      // while the watcher was being replaced.
      const targets = await this.resolveTargets();
      if (targets !== this.targets && !this.closed) {
        this.targets = targets;
        await this.watcher?.close();
        await this.open();
      }
      await this.reload();
    })();
    try {
      await this.running;
    } catch (error) {
      this.logger.error({ err: error }, 'reload failed');
    } finally {
      this.running = undefined;
    }
    if (this.again && !this.closed) {
      this.again = false;
      this.schedule();
    }
  }

  private async resolveTargets(): Promise<string> {
    const resolved = await Promise.all(
      [...WATCHED_DIRS].map((dir) => realpath(join(this.configDir, dir)).catch(() => '')),
    );
    return resolved.join('\n');
  }

  /** Stops watching and cancels a pending reload. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.watcher?.close();
    await this.running?.catch(() => undefined);
  }
}
