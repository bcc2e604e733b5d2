import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, chown, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Document, parseDocument, Scalar } from 'yaml';
import { FlagrouteError } from '../errors.js';
import { ConfigError } from './issues.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import type { RollbackBlock } from './types.js';
import { parseYamlText } from './yaml-file.js';

/**
 * Sets one top-level key of an environment file in place, keeping every comment and the key
 * order (yaml's Document API), with `note` as the value's inline comment. See
 * {@link editEnvironmentFile} for how the file is checked and written.
 */
export async function setEnvironmentValue(
  path: string,
  key: string,
  value: number | boolean | string | null,
  note?: string,
): Promise<void> {
  await editEnvironmentFile(path, (document) => {
    const node = new Scalar(value);
    if (note !== undefined) node.comment = ` ${note.replaceAll('\n', ' ')}`;
    document.set(key, node);
  });
}

/**
 * Engages the kill switch (writes the `rollback:` block) or, with `null`, lifts it (removes the
 * block); with `rollout`, also sets `rollout_percentage` in the same write.
 */
export async function setKillSwitch(
  path: string,
  block: RollbackBlock | null,
  rollout?: { percentage: number; note: string },
): Promise<void> {
  await editEnvironmentFile(path, (document) => {
    if (block === null) document.delete('rollback');
    else document.set('rollback', document.createNode(block, { flow: false }));
    if (rollout) {
      const node = new Scalar(rollout.percentage);
      node.comment = ` ${rollout.note.replaceAll('\n', ' ')}`;
      document.set('rollout_percentage', node);
    }
  });
}

/**
 * Edits an environment file through yaml's Document API. The result is validated before
 * anything is written, and written atomically (temp file + rename, so a watcher never sees half
 * a file) with the original file's mode and owner. A read-only file (no write bit for anyone) is
 * refused with a `CONFIG_NOT_WRITABLE` error, even for root, and left as it is.
 */
export async function editEnvironmentFile(
  path: string,
  edit: (document: Document) => void,
): Promise<void> {
  const target = await realpath(path);
  const info = await writableFile(target, path);
  const text = await readFile(target, 'utf8');
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    const parsed = parseYamlText(text, target, path);
    throw new ConfigError(parsed.ok ? [] : parsed.issues);
  }
  edit(document);
  const updated = document.toString();
  const check = parseYamlText(updated, target, path);
  if (!check.ok) throw new ConfigError(check.issues);
  if (!validators.environment(structuredClone(check.file.data))) {
    const errors = validators.environment.errors ?? [];
    throw new ConfigError(schemaIssues(errors, { kind: 'file', file: check.file }));
  }
  await replaceAtomically(target, updated, info);
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

/** The inline comment of a top-level key (where flagroute notes who changed it and why). */
export function inlineNoteOf(text: string, key: string): string | undefined {
  const document = parseDocument(text);
  const node = document.get(key, true);
  return node instanceof Scalar ? node.comment?.trim() : undefined;
}
