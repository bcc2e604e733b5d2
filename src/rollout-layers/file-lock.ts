import { open, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlagrouteError } from '../errors.js';

/** A lock older than this was left by a writer that died: it is broken. */
const STALE_MS = 10_000;
/** How long a writer waits for another before giving up. */
const WAIT_MS = 15_000;
const RETRY_MS = 15;

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Runs `work` while holding the write lock of `target`: one writer at a time in this process
 * (a queue) and across processes (a lock file beside it, created exclusively), so that two
 * read-modify-write edits (a person's rollback and the plan's next stage) never lose one
 * another's change. A lock file left by a writer that died is broken after 10 s.
 */
export function withWriteLock<T>(target: string, work: () => Promise<T>): Promise<T> {
  const before = inProcess.get(target) ?? Promise.resolve();
  const run = before.then(
    () => underLockFile(target, work),
    () => underLockFile(target, work),
  );
  const settled = run.catch(() => undefined);
  inProcess.set(target, settled);
  void settled.then(() => {
    if (inProcess.get(target) === settled) inProcess.delete(target);
  });
  return run;
}

async function underLockFile<T>(target: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dirname(target), `.${basename(target)}.lock`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new FlagrouteError(
          'CONFIG_NOT_WRITABLE',
          `the directory of ${basename(target)} is read-only (${code}); not edited. Change it where it is managed (git, a ConfigMap), or use the fleet store`,
        );
      }
      if (code !== 'EEXIST') throw error;
      if (await isStale(lock)) await rm(lock, { force: true });
      else if (Date.now() > deadline) {
        throw new FlagrouteError(
          'CONFIG_NOT_WRITABLE',
          `another writer has held the environment file's lock for over ${WAIT_MS / 1000} s; not edited: try again`,
        );
      } else await sleep(RETRY_MS);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

async function isStale(lock: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(lock)).mtimeMs > STALE_MS;
  } catch {
    return false; // gone meanwhile: try again
  }
}
