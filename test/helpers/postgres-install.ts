import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { osUser, runningAsRoot } from './os-users.js';

/**
 * Where Debian's packages put each PostgreSQL version: `<root>/<major>/bin`, not on PATH.
 * `FLAGROUTE_TEST_POSTGRES_ROOT` points elsewhere (the harness's own test uses it to see that a
 * missing server fails under `CI=true`).
 */
export const POSTGRES_ROOT = process.env.FLAGROUTE_TEST_POSTGRES_ROOT ?? '/usr/lib/postgresql';

/** The OS user that owns the test clusters when the tests run as root (initdb refuses root). */
export const POSTGRES_OS_USER = 'postgres';

/**
 * The `bin` directory of the newest PostgreSQL installed under `root` (the one with the highest
 * major version that has `initdb`, `pg_ctl` and `pg_isready`), or undefined when there is none.
 */
export function postgresBinDir(root = POSTGRES_ROOT): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return undefined;
  }
  const usable = versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .filter((version) =>
      ['initdb', 'pg_ctl', 'pg_isready'].every((tool) =>
        existsSync(join(root, version, 'bin', tool)),
      ),
    )
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return usable[0] === undefined ? undefined : join(root, usable[0], 'bin');
}

/** Why PostgreSQL cannot be started here, or undefined when it can. */
export function postgresMissing(root = POSTGRES_ROOT): string | undefined {
  if (postgresBinDir(root) === undefined) {
    return `PostgreSQL is not installed (no ${root}/<version>/bin/initdb): .ci/run installs Debian's postgresql`;
  }
  if (runningAsRoot && osUser(POSTGRES_OS_USER) === undefined) {
    return `the OS user "${POSTGRES_OS_USER}" is missing (Debian's postgresql package creates it); initdb refuses to run as root`;
  }
  return undefined;
}
