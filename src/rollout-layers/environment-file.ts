import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, chown, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Document, parseDocument } from 'yaml';
import { ConfigError } from '../config/issues.js';
import { schemaIssues } from '../config/schema-errors.js';
import { validators } from '../config/schemas.js';
import type { EnvironmentSettings } from '../config/types.js';
import { parseYamlText, readConfigText } from '../config/yaml-file.js';
import { FlagrouteError } from '../errors.js';
import { killSwitchOf, rollbackBlockOf, runtimeBlockOf, runtimeOf } from './config-layers.js';
import { withWriteLock } from './file-lock.js';
import type { KillSwitch, RuntimeLayer, RuntimeState } from './layers.js';
import { killSwitchHolds } from './messages.js';

/** The environment file of a loaded configuration: the one place its path is built. */
export function environmentFileOf(config: {
  readonly configDir: string;
  readonly environment: string;
}): string {
  return join(config.configDir, 'environments', `${config.environment}.yaml`);
}

/** A change of the runtime state: `undefined` leaves a part as it is, `null` removes it. */
export interface RuntimeChange {
  runtime?: RuntimeLayer | null;
  killSwitch?: KillSwitch | null;
  /**
   * Refuse (`KILL_SWITCH_ENGAGED`, nothing written) when a kill switch is stored at the moment
   * of writing: the plan never moves the rollout from under a rollback.
   */
  unlessKillSwitch?: boolean;
}

/**
 * Writes a change of the runtime state into the environment file (file mode's runtime store):
 * the `runtime:` block (the runtime layer) and the `rollback:` block (the kill switch), in one
 * atomic, comment-preserving edit under the file's write lock (no concurrent change is lost);
 * an engaged kill switch is kept as first written. Returns the state before and after, as the
 * file held it.
 */
export async function writeRuntimeState(
  path: string,
  change: RuntimeChange,
  shown = path,
): Promise<{ before: RuntimeState; after: RuntimeState }> {
  let before: RuntimeState = { runtime: null, killSwitch: null };
  let after = before;
  const edit = (document: Document) => {
    before = stateOf(document.toJS());
    if (change.unlessKillSwitch && before.killSwitch) {
      throw new FlagrouteError(
        'KILL_SWITCH_ENGAGED',
        `${killSwitchHolds(before.killSwitch)}; the rollout was not changed`,
      );
    }
    if (change.runtime === null) document.delete('runtime');
    else if (change.runtime) {
      document.set('runtime', document.createNode(runtimeBlockOf(change.runtime), { flow: false }));
    }
    if (change.killSwitch === null) document.delete('rollback');
    else if (change.killSwitch && !before.killSwitch) {
      const block = rollbackBlockOf(change.killSwitch);
      document.set('rollback', document.createNode(block, { flow: false }));
    }
    after = stateOf(document.toJS());
  };
  await withWriteLock(resolve(path), () => editEnvironmentFile(path, edit, shown));
  return { before, after };
}

/**
 * Reads the runtime state an environment file holds (a file that does not validate throws,
 * naming the file as `shown`).
 */
export async function readRuntimeState(path: string, shown = path): Promise<RuntimeState> {
  const text = await environmentText(path, shown);
  const parsed = parseYamlText(text, path, shown);
  if (!parsed.ok) throw new ConfigError(parsed.issues);
  return stateOf(parsed.file.data);
}

function stateOf(data: unknown): RuntimeState {
  const settings = (data ?? {}) as Partial<EnvironmentSettings>;
  return {
    runtime: settings.runtime ? runtimeOf(settings.runtime) : null,
    killSwitch: settings.rollback
      ? killSwitchOf(settings.rollback, settings.rollout_percentage ?? 0)
      : null,
  };
}

/**
 * Edits an environment file through yaml's Document API; messages name it as `shown` (its
 * display path: an answer never shows where the server's files are). The result is validated before
 * anything is written, and written atomically (temp file + rename, so a watcher never sees half
 * a file) with the original file's mode and owner. A read-only file (no write bit for anyone) is
 * refused with a `CONFIG_NOT_WRITABLE` error, even for root, and left as it is.
 */
async function editEnvironmentFile(
  path: string,
  edit: (document: Document) => void,
  shown: string,
): Promise<void> {
  const target = await realpath(path);
  const info = await writableFile(target, shown);
  const text = await environmentText(target, shown);
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    const parsed = parseYamlText(text, target, shown);
    throw new ConfigError(parsed.ok ? [] : parsed.issues);
  }
  edit(document);
  const updated = document.toString();
  const check = parseYamlText(updated, target, shown);
  if (!check.ok) throw new ConfigError(check.issues);
  if (!validators.environment(structuredClone(check.file.data))) {
    const errors = validators.environment.errors ?? [];
    throw new ConfigError(schemaIssues(errors, { kind: 'file', file: check.file }));
  }
  await replaceAtomically(target, updated, info);
}

/**
 * The text of an environment file, read as a load reads it: bytes that are not UTF-8 are its
 * `INVALID_ENCODING` problem, never U+FFFD written back into the file by an edit.
 */
async function environmentText(path: string, shown: string): Promise<string> {
  const read = await readConfigText(path, shown);
  if (!read.ok) throw new ConfigError(read.issues);
  return read.text;
}

/** The file's mode and owner, if it is a regular file that someone may write. */
async function writableFile(target: string, shown: string): Promise<Stats> {
  const info = await stat(target);
  if (!info.isFile()) {
    throw new FlagrouteError('CONFIG_NOT_WRITABLE', `${shown} is not a regular file; not edited`);
  }
  if ((info.mode & 0o222) === 0) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
    throw new FlagrouteError(
      'CONFIG_NOT_WRITABLE',
      `${shown} is read-only (mode ${mode}); not edited. Make it writable (chmod u+w) or change it where it is managed (git, a ConfigMap)`,
    );
  }
  return info;
}

/** Writes a temp file beside `target` with its mode and owner, then renames it over `target`. */
async function replaceAtomically(target: string, text: string, info: Stats): Promise<void> {
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temp, text, { flag: 'wx', mode: info.mode & 0o7777 });
    // The umask may have narrowed the mode, and only the owner's own files are chown-able.
    await chmod(temp, info.mode & 0o7777);
    await chown(temp, info.uid, info.gid).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPERM') throw error;
    });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
