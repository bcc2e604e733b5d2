import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The PostgreSQL schema that holds every flagroute table. */
export const SCHEMA = 'flagroute';

/** Where the migrations ship: `migrations/NNNN-name.sql` beside this module. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** One versioned migration: the SQL file `NNNN-name.sql`. */
export interface Migration {
  /** Its version: the file's number (1, 2, ...). */
  readonly version: number;
  /** Its name: the rest of the file name (`initial`). */
  readonly name: string;
  /** Its SQL, applied in one transaction. */
  readonly sql: string;
  /** SHA-256 of the SQL, recorded when applied: a database migrated by other SQL is refused. */
  readonly checksum: string;
}

const FILE_NAME = /^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.sql$/;
// Statements only: a PL/pgSQL block's BEGIN is never followed by a semicolon.
const TRANSACTION_CONTROL = /^\s*(BEGIN\s*;|COMMIT\s*;|ROLLBACK\s*;|START\s+TRANSACTION\b)/im;

/**
 * The migrations in `dir`, in version order. Throws on a file that is not a migration, a gap
 * or a duplicate in the versions, or a migration with its own transaction control (the runner
 * gives each one a transaction): mistakes of flagroute's own, caught by its tests.
 */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`${file} in the migrations is not named NNNN-name.sql`);
    const sql = readFileSync(join(dir, file), 'utf8');
    if (TRANSACTION_CONTROL.test(sql)) {
      throw new Error(`${file} controls its own transaction; the runner gives it one`);
    }
    const version = Number(match[1]);
    if (version !== migrations.length + 1) {
      throw new Error(`${file} should be version ${migrations.length + 1}: versions run 1, 2, ...`);
    }
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version, name: match[2]!, sql, checksum });
  }
  return migrations;
}
