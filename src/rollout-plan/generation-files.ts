import { randomBytes } from 'node:crypto';
import { link, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeJsonSyntaxError } from '../json-syntax.js';
import { decodeUtf8, describeUtf8Fault } from '../utf8.js';

/** A temp file beside `file`, named so that no reader of the directory's `.json` files sees it. */
function tempBeside(file: string): string {
  return join(
    dirname(file),
    `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes JSON atomically: a temp file in the same directory, then a rename over the target. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = tempBeside(file);
  try {
    await writeFile(temp, json(value), { mode: 0o644 });
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Creates `file` with this JSON only if no file of that name exists, complete or not at all:
 * the content is written to a temp file first, then hard-linked to the name (`link` fails when
 * the name exists, atomically, on every POSIX file system and NFS). Returns false when the name
 * was taken: two writers of one generation cannot both win.
 */
export async function createExclusive(file: string, value: unknown): Promise<boolean> {
  const temp = tempBeside(file);
  try {
    await writeFile(temp, json(value), { mode: 0o644 });
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** What reading a JSON file gave: its value, nothing (no such file), or why it is unreadable. */
export type JsonRead<T> =
  | { kind: 'value'; value: T }
  | { kind: 'missing' }
  | { kind: 'unreadable'; why: string };

/** Reads a JSON file and checks its shape with `valid`; never throws for a bad file. */
export async function readJsonFile<T>(
  file: string,
  valid: (value: unknown) => value is T,
): Promise<JsonRead<T>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', why: `cannot be read (${code ?? (error as Error).message})` };
  }
  const text = decodeUtf8(bytes, { keepBom: true });
  if (typeof text !== 'string') {
    return { kind: 'unreadable', why: `is ${describeUtf8Fault(text, 'the file')}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', why: `is not valid JSON (${describeJsonSyntaxError(text)})` };
  }
  return valid(value)
    ? { kind: 'value', value }
    : { kind: 'unreadable', why: 'is valid JSON but not of the expected shape' };
}

/** The names in `dir` that match `pattern`, newest (highest) first; none if `dir` is missing. */
export async function generationNames(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    return (await readdir(dir))
      .filter((name) => pattern.test(name))
      .sort()
      .reverse();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** A generation number as a fixed-width name part, so that names sort as numbers do. */
export function padded(generation: number): string {
  return String(generation).padStart(12, '0');
}

/** Whether `value` is a plain object (for shape checks of files read back). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
