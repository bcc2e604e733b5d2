import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LogFileSystem } from './log-file-system.js';

/** One file of an event log: its day, the process that wrote it, and its number that day. */
export interface LogFileName {
  name: string;
  day: string;
  /** The writing process's name; empty for files from before names carried one. */
  instance: string;
  index: number;
}

const INSTANCE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * This process's name in its files: the host name and the process id (`web-1-4242`). Two
 * processes writing one directory therefore write files of their own; creating each file
 * exclusively makes that hold even when two names coincide (pid 1 in two containers of one
 * host name): the second takes the next number.
 */
export function defaultInstance(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 40) || 'host';
  return `${host}-${process.pid}`;
}

/** Checks an instance name: letters, digits, `_` and `-`, not only digits (that is a number). */
export function checkInstance(instance: string): string {
  if (!INSTANCE.test(instance) || /^\d+$/.test(instance)) {
    throw new Error(
      `an event log instance name is 1 to 64 letters, digits, _ or -, not only digits; got ${JSON.stringify(instance)}`,
    );
  }
  return instance;
}

/** `outcomes-2026-11-26.web-1-4242.jsonl`, then `.1`, `.2`, ... before `.jsonl`. */
export function logFileName(prefix: string, day: string, instance: string, index: number): string {
  return `${prefix}-${day}.${instance}${index === 0 ? '' : `.${index}`}.jsonl`;
}

/** Reads a file name of the log `prefix` (this process's or another's, or an older unnamed one). */
export function parseLogFileName(prefix: string, name: string): LogFileName | null {
  if (!name.startsWith(`${prefix}-`) || !name.endsWith('.jsonl')) return null;
  const parts = name.slice(prefix.length + 1, -'.jsonl'.length).split('.');
  const day = parts.shift()!;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  let instance = '';
  if (parts.length > 0 && !/^\d+$/.test(parts[0]!)) instance = parts.shift()!;
  const index = parts.length === 1 && /^\d+$/.test(parts[0]!) ? Number(parts.shift()) : 0;
  if (parts.length > 0 || (instance !== '' && !INSTANCE.test(instance))) return null;
  return { name, day, instance, index };
}

/**
 * Deletes the oldest files of the log `prefix` in `dir` (by day, then by modification time),
 * whichever process wrote them, while they hold more than `maxTotalBytes` together; never
 * `current`, and, when `own` names this process and its day, never another process's file of
 * that day or the day before: that process may be writing it, and a file deleted between its
 * check and its write would take lines that no reader ever sees (two servers on one
 * `--events-dir` lost outcomes so). Such files count towards the total and wait for a later
 * pruning.
 */
export async function pruneLogFiles(
  files: LogFileSystem,
  dir: string,
  prefix: string,
  maxTotalBytes: number,
  current: string | undefined,
  own?: { instance: string; day: string },
): Promise<string[]> {
  const dayBefore = own && new Date(Date.parse(own.day) - 86_400_000).toISOString().slice(0, 10);
  const live = (file: LogFileName) =>
    own !== undefined && file.instance !== own.instance && file.day >= dayBefore!;
  const found: (LogFileName & { bytes: number; mtimeMs: number })[] = [];
  for (const name of await files.list(dir)) {
    const parsed = parseLogFileName(prefix, name);
    if (!parsed) continue;
    const size = await files.size(join(dir, name)).catch(() => null);
    if (size) found.push({ ...parsed, ...size });
  }
  found.sort((a, b) => (a.day === b.day ? a.mtimeMs - b.mtimeMs : a.day < b.day ? -1 : 1));
  let total = found.reduce((sum, file) => sum + file.bytes, 0);
  const removed: string[] = [];
  for (const file of found) {
    if (total <= maxTotalBytes) break;
    if (file.name === current || live(file)) continue;
    await files.remove(join(dir, file.name)).catch(() => undefined);
    total -= file.bytes;
    removed.push(file.name);
  }
  return removed;
}
