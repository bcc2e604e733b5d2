import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { nodeFileSystem } from '../../src/event-log/index.js';
import { pruneLogFiles } from '../../src/event-log/log-files.js';
import { tempConfigDir } from '../helpers/config-dir.js';

it("pruning a shared directory never deletes another process's file of the day or the day before (it may be writing it), only older ones", async () => {
  const { dir } = await tempConfigDir();
  const names = [
    'outcomes-2026-12-03.web-2-7.jsonl',
    'outcomes-2026-12-04.web-1-5.jsonl',
    'outcomes-2026-12-05.web-2-7.jsonl',
    'outcomes-2026-12-06.web-2-7.jsonl',
    'outcomes-2026-12-06.web-1-5.jsonl',
  ];
  for (const name of names) writeFileSync(join(dir, name), 'x'.repeat(1000));
  const removed = await pruneLogFiles(nodeFileSystem, dir, 'outcomes', 1500, names[4], {
    instance: 'web-1-5',
    day: '2026-12-06',
  });
  expect(removed).toEqual([
    'outcomes-2026-12-03.web-2-7.jsonl',
    'outcomes-2026-12-04.web-1-5.jsonl',
  ]);
  expect(readdirSync(dir).sort()).toEqual(names.slice(2).sort());
});
