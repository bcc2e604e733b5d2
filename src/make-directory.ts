import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Whether `error` is a file-system error with this code. */
function hasCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/**
 * Creates `dir` and its missing parents, as `mkdir -p` does, and fails with the file system's
 * error where a parent exists but cannot hold it. Node's own `mkdir(dir, {recursive: true})`
 * spins for ever at full CPU, its promise never settling, on a file system that answers ENOENT
 * for a child of a directory that exists (a path under `/proc` or `/sys`): a server given such an
 * `--events-dir` hung at start and did not stop on SIGTERM.
 */
export async function makeDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      await stat(at);
      break;
    } catch (error) {
      if (!hasCode(error, 'ENOENT') || dirname(at) === at) throw error;
      missing.push(at);
    }
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path);
    } catch (error) {
      if (!hasCode(error, 'EEXIST')) throw error;
    }
  }
  // What is there may be a file (ENOTDIR, as `mkdir -p` says): only a directory will do.
  if (!(await stat(dir)).isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), {
      code: 'ENOTDIR',
      path: dir,
    });
  }
}
