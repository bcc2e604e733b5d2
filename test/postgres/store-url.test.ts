import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { parsePostgresUrl } from '../../src/postgres/store-url.js';

function refusal(url: string): StoreError {
  try {
    parsePostgresUrl(url, '--store');
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error(`${url} was accepted`);
}

describe('parsePostgresUrl', () => {
  it.each([
    [
      'postgres://app:s3cret@db.internal:6432/flagroute',
      'database "flagroute" on db.internal:6432 as "app"',
    ],
    [
      'postgresql://app:s3cret@db.internal/flagroute',
      'database "flagroute" on db.internal:5432 as "app"',
    ],
    ['postgres://app@[::1]:5433/flag%20route', 'database "flag route" on [::1]:5433 as "app"'],
    ['postgres://db.internal/flagroute', 'database "flagroute" on db.internal:5432'],
    ['postgres://app:s3cret@db.internal:5432', 'the default database on db.internal:5432 as "app"'],
    [
      'postgres://app:s3cret@db.internal/flagroute?sslmode=verify-full&sslrootcert=/etc/flagroute/ca.pem',
      'database "flagroute" on db.internal:5432 as "app"',
    ],
    [
      'postgres://app:s3cret@%2Fvar%2Frun%2Fpostgresql/flagroute',
      'database "flagroute" on a local socket (port 5432) as "app"',
    ],
    [
      'postgres://app:s3cret@/flagroute?host=/var/run/postgresql&port=5433',
      'database "flagroute" on a local socket (port 5433) as "app"',
    ],
    [
      'postgres://app:s3cret@/flagroute',
      'database "flagroute" on the default host (PGHOST, else localhost), port 5432 as "app"',
    ],
  ])('%s is %s, with no password, key file or socket path', (url, description) => {
    const target = parsePostgresUrl(url, '--store');
    expect(target.description).toBe(description);
    expect(target.url).toBe(url);
    expect(target.description).not.toMatch(/s3cret|\/etc|\/var/);
  });

  it.each([
    'postgres://app:s3cret@db.internal:6432/flagroute',
    'postgresql://app:s3cret@db.internal/flagroute',
    'postgres://app@[::1]:5433/flagroute',
    'postgres://app:s3cret@%2Fvar%2Frun%2Fpostgresql/flagroute',
    'postgres://app:s3cret@/flagroute?host=/var/run/postgresql&port=5433',
    'postgres://other:s3cret@db.internal/flagroute?user=app',
  ])('reads %s as node-postgres does', (url) => {
    const target = parsePostgresUrl(url, '--store');
    const client = new pg.Client({ connectionString: url }) as unknown as {
      host: string;
      port: number;
      database: string;
      user: string;
    };
    expect({
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
    }).toEqual({
      host: client.host,
      port: client.port,
      database: client.database,
      user: client.user,
    });
  });

  it('refuses what is not a URL without repeating it (it may hold a password)', () => {
    const error = refusal('app:s3cret@db.internal/flagroute');
    expect(error.code).toBe('INVALID_STORE_URL');
    expect(error.message).toBe(
      '--store is not a URL (its value is not shown: it may hold a password); expected postgres://user:password@host:5432/database',
    );
  });

  it('refuses another kind of URL, naming its scheme only', () => {
    const error = refusal('mysql://app:s3cret@db.internal/flagroute');
    expect(error.code).toBe('INVALID_STORE_URL');
    expect(error.message).toContain(
      '--store must be a postgres:// or postgresql:// URL, not "mysql:"',
    );
    expect(error.message).not.toContain('s3cret');
  });

  it.each([
    // The URL parser refuses it as no URL at all: the port is named instead.
    [
      'postgres://app:s3cret@db.internal:99999/flagroute',
      '--store names port "99999"; a port is a whole number from 1 to 65535',
    ],
    ['postgresql://db.internal:70000', 'names port "70000"'],
    ['postgres://app:s3cret@db.internal/flagroute?port=0', 'names port "0"'],
    ['postgres://app:s3cret@db.internal/flagroute?port=54x', 'names port "54x"'],
  ])('refuses the port of %s', (url, says) => {
    const error = refusal(url);
    expect(error.code).toBe('INVALID_STORE_URL');
    expect(error.message).toContain(says);
    expect(error.message).not.toContain('s3cret');
  });
});
