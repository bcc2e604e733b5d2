import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** An OS account: its name and ids. */
export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The account `name` as the system knows it (through NSS), or undefined. */
export function osUser(name: string): OsUser | undefined {
  const result = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const fields = result.status === 0 ? result.stdout.trim().split(':') : [];
  if (fields.length < 4) return undefined;
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Whether the tests run as root (they do under `.ci/run`). */
export const runningAsRoot = process.getuid?.() === 0;

/** The OS user that {@link spawnUnprivileged} runs processes as when the tests run as root. */
export const UNPRIVILEGED_OS_USER = 'nobody';

/**
 * Spawns a process as an unprivileged OS user ({@link UNPRIVILEGED_OS_USER}) when the tests run
 * as root (else as the current, already unprivileged user), so that the file system itself
 * refuses writes to read-only files: root writes through mode 0444. The process keeps one
 * capability, `CAP_DAC_READ_SEARCH` (read any file, enter any directory; through `setpriv`), so
 * it can run the code wherever the checkout lies (a clean clone may sit under a directory only
 * root can enter); every write is still checked against the file's mode and owner.
 */
export function spawnUnprivileged(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): ChildProcess {
  if (!runningAsRoot) return spawn(command, args, options);
  const user = osUser(UNPRIVILEGED_OS_USER);
  if (!user) throw new Error(`the OS user "${UNPRIVILEGED_OS_USER}" is missing`);
  const setpriv = [
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--clear-groups',
    '--inh-caps=+dac_read_search',
    '--ambient-caps=+dac_read_search',
    '--',
  ];
  return spawn('setpriv', [...setpriv, command, ...args], options);
}

/**
 * Makes a tree readable but not writable by anyone but root: directories 0555, files 0444,
 * owned by the current user. What a read-only mount (a Kubernetes ConfigMap) looks like to an
 * unprivileged process.
 */
export async function makeReadOnly(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeReadOnly(path);
    else await chmod(path, 0o444);
  }
  await chmod(dir, 0o555);
}
