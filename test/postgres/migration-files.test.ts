import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/postgres/migration-files.js';
import { onTestEnd } from '../helpers/cleanup.js';

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-migrations-'));
  onTestEnd(() => rm(dir, { recursive: true, force: true }));
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

describe('readMigrations', () => {
  it('reads the shipped migrations, numbered from 1 without gaps', () => {
    const migrations = readMigrations();
    expect(migrations[0]).toMatchObject({ version: 1, name: 'initial' });
    expect(migrations.map((migration) => migration.version)).toEqual(
      migrations.map((_, index) => index + 1),
    );
  });

  it('orders by version and checksums the exact text', async () => {
    const dir = await migrationsDir({
      '0002-second-step.sql': 'SELECT 2;',
      '0001-first.sql': 'SELECT 1;',
    });
    expect(readMigrations(dir)).toEqual([
      {
        version: 1,
        name: 'first',
        sql: 'SELECT 1;',
        checksum: createHash('sha256').update('SELECT 1;').digest('hex'),
      },
      {
        version: 2,
        name: 'second-step',
        sql: 'SELECT 2;',
        checksum: createHash('sha256').update('SELECT 2;').digest('hex'),
      },
    ]);
  });

  it('lets a PL/pgSQL block begin, but not a migration its own transaction', async () => {
    const block =
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$;';
    expect(readMigrations(await migrationsDir({ '0001-function.sql': block }))).toHaveLength(1);
  });

  it.each([
    [
      { '0001-first.sql': '', 'notes.txt': '' },
      'notes.txt in the migrations is not named NNNN-name.sql',
    ],
    [{ '0001-first.sql': '', '0003-third.sql': '' }, '0003-third.sql should be version 2'],
    [{ '0002-second.sql': '' }, '0002-second.sql should be version 1'],
    [{ '0001-First.sql': '' }, '0001-First.sql in the migrations is not named NNNN-name.sql'],
    [
      { '0001-first.sql': 'BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;' },
      '0001-first.sql controls its own transaction',
    ],
    [{ '0001-first.sql': 'start transaction;' }, '0001-first.sql controls its own transaction'],
  ])('refuses %j', async (files, message) => {
    const dir = await migrationsDir(files);
    expect(() => readMigrations(dir)).toThrow(message);
  });
});
