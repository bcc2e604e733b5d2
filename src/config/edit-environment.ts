import { randomBytes } from 'node:crypto';
import { readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseDocument, Scalar } from 'yaml';
import { ConfigError } from './issues.js';
import { schemaIssues } from './schema-errors.js';
import { validators } from './schemas.js';
import { parseYamlText } from './yaml-file.js';

/**
 * Sets one top-level key of an environment file in place, keeping every comment and the key
 * order (yaml's Document API), with `note` as the value's inline comment. The result is
 * validated before anything is written, and written atomically (temp file + rename), so a
 * watcher never sees half a file.
 */
export async function setEnvironmentValue(
  path: string,
  key: string,
  value: number | boolean | string | null,
  note?: string,
): Promise<void> {
  const target = await realpath(path);
  const text = await readFile(target, 'utf8');
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0) {
    const parsed = parseYamlText(text, target, path);
    throw new ConfigError(parsed.ok ? [] : parsed.issues);
  }
  const node = new Scalar(value);
  if (note !== undefined) node.comment = ` ${note.replaceAll('\n', ' ')}`;
  document.set(key, node);
  const updated = document.toString();
  const check = parseYamlText(updated, target, path);
  if (!check.ok) throw new ConfigError(check.issues);
  const data = structuredClone(check.file.data);
  if (!validators.environment(data)) {
    throw new ConfigError(
      schemaIssues(validators.environment.errors ?? [], { kind: 'file', file: check.file }),
    );
  }
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temp, updated, { flag: 'wx' });
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
