import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { connectPostgres } from '../../src/postgres/connection.js';
import { storeErrorOf } from '../../src/postgres/store-errors.js';
import { parsePostgresUrl } from '../../src/postgres/store-url.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { freePort } from '../helpers/free-port.js';

const PASSWORD = 'pw-that-must-not-show';
const TARGET = parsePostgresUrl(`postgres://app:${PASSWORD}@db.internal:5432/flagroute`, 'test');

async function connectFailure(url: string, connectTimeoutMs?: number): Promise<StoreError> {
  try {
    const client = await connectPostgres(
      parsePostgresUrl(url, 'test'),
      connectTimeoutMs === undefined ? {} : { connectTimeoutMs },
    );
    await client.end();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('connected');
}

describe('storeErrorOf', () => {
  it.each([
    [
      {
        severity: 'FATAL',
        code: '28P01',
        message: 'password authentication failed for user "app"',
      },
      'STORE_ACCESS_DENIED',
      'password authentication failed (a wrong password, or no such role) (28P01)',
    ],
    [
      { severity: 'FATAL', code: '28000', message: 'no pg_hba.conf entry' },
      'STORE_ACCESS_DENIED',
      'the server refused the login',
    ],
    [
      { severity: 'FATAL', code: '3D000', message: 'database "flagroute" does not exist' },
      'STORE_ACCESS_DENIED',
      'the database does not exist (3D000)',
    ],
    [
      { severity: 'ERROR', code: '42501', message: 'permission denied for schema flagroute' },
      'STORE_ACCESS_DENIED',
      'the role lacks a privilege: permission denied for schema flagroute (42501)',
    ],
    [
      { severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' },
      'STORE_UNAVAILABLE',
      'sorry, too many clients already (53300)',
    ],
    [
      {
        severity: 'FATAL',
        code: '57P01',
        message: 'terminating connection due to administrator command',
      },
      'STORE_UNAVAILABLE',
      '(57P01)',
    ],
    [
      { severity: 'FATAL', code: '57P03', message: 'the database system is starting up' },
      'STORE_UNAVAILABLE',
      'starting up (57P03)',
    ],
    [
      { severity: 'ERROR', code: '42P07', message: 'relation "x" already exists' },
      'STORE_UNAVAILABLE',
      'answered 42P07: relation "x" already exists',
    ],
  ])('maps the server error %j to %s', (error, code, says) => {
    const mapped = storeErrorOf(error, TARGET);
    expect(mapped).toBeInstanceOf(StoreError);
    expect(mapped.code).toBe(code);
    expect(mapped.reason).toBe(error.code);
    expect(mapped.message).toMatch(
      /^PostgreSQL database "flagroute" on db\.internal:5432 as "app"/,
    );
    expect(mapped.message).toContain(says);
  });

  it('keeps an unknown SQLSTATE under the fallback code the caller names', () => {
    const mapped = storeErrorOf(
      { severity: 'ERROR', code: '42P07', message: 'exists' },
      TARGET,
      'STORE_SCHEMA_MISMATCH',
    );
    expect(mapped.code).toBe('STORE_SCHEMA_MISMATCH');
  });

  it.each([
    [
      Object.assign(new Error('connect ENOENT /var/run/postgresql/.s.PGSQL.5432'), {
        code: 'ENOENT',
        syscall: 'connect',
      }),
      'STORE_UNAVAILABLE',
      'no server socket there; is PostgreSQL running? (ENOENT)',
    ],
    [
      Object.assign(new Error("ENOENT: no such file or directory, open '/etc/flagroute/ca.pem'"), {
        code: 'ENOENT',
        syscall: 'open',
      }),
      'INVALID_STORE_URL',
      'a file the store URL names (sslrootcert, sslcert or sslkey) cannot be read (ENOENT)',
    ],
    [
      Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      'STORE_ACCESS_DENIED',
      "the server's TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)",
    ],
    [
      new Error('The server does not support SSL connections'),
      'STORE_ACCESS_DENIED',
      'the server does not accept TLS',
    ],
    [
      new Error('Connection terminated unexpectedly'),
      'STORE_UNAVAILABLE',
      'the server closed the connection',
    ],
    [
      new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
      'STORE_ACCESS_DENIED',
      'the server asks for a password and none was given',
    ],
  ])('says what %s means without its paths', (error, code, says) => {
    const mapped = storeErrorOf(error, TARGET);
    expect(mapped.message).toContain(says);
    expect(mapped.message).not.toMatch(/\/var|\/etc/);
    expect(mapped.code).toBe(code);
  });
});

describe('connectPostgres', () => {
  it('says a closed port refuses the connection (STORE_UNAVAILABLE)', async () => {
    const port = await freePort();
    const error = await connectFailure(`postgres://app:${PASSWORD}@127.0.0.1:${port}/flagroute`);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'ECONNREFUSED' });
    expect(error.message).toBe(
      `PostgreSQL database "flagroute" on 127.0.0.1:${port} as "app": connection refused; is PostgreSQL running and listening there? (ECONNREFUSED)`,
    );
  });

  it("tells node-postgres's three timeouts apart: a connection, a statement, a busy pool", () => {
    const says = (text: string) => storeErrorOf(new Error(text), TARGET);
    expect(says('timeout expired').message).toMatch(/: no answer in time$/);
    expect(says('Query read timeout').message).toMatch(/: a statement got no answer in time$/);
    expect(says('timeout exceeded when trying to connect').message).toMatch(
      /: every connection of this process to it stayed busy past the connect timeout$/,
    );
    for (const text of ['timeout expired', 'Query read timeout'])
      expect(says(text).code).toBe('STORE_UNAVAILABLE');
  });

  it('gives up on a server that never answers after the connect timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestEnd(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as { port: number };
    const error = await connectFailure(
      `postgres://app:${PASSWORD}@127.0.0.1:${port}/flagroute`,
      200,
    );
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toContain('no answer in time');
  });

  it('names neither the socket path nor a key file path that is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flagroute-no-socket-'));
    onTestEnd(() => rm(dir, { recursive: true, force: true }));
    const socket = await connectFailure(
      `postgres://app:${PASSWORD}@${encodeURIComponent(dir)}/flagroute`,
    );
    expect(socket).toMatchObject({ code: 'STORE_UNAVAILABLE', reason: 'ENOENT' });
    expect(socket.message).toContain('on a local socket (port 5432)');

    const keyFile = await connectFailure(
      `postgres://app:${PASSWORD}@127.0.0.1:1/flagroute?sslrootcert=${join(dir, 'ca.pem')}`,
    );
    expect(keyFile).toMatchObject({ code: 'INVALID_STORE_URL', reason: 'ENOENT' });
    for (const error of [socket, keyFile]) {
      expect(error.message).not.toContain(dir);
      expect(error.message).not.toContain(PASSWORD);
    }
  });
});
