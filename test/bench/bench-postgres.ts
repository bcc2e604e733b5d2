import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL the bench starts for itself: its superuser URL, and how to end it. */
export interface BenchPostgres {
  url: string;
  /** Where a server-side `COPY ... FROM` file may be written (readable by the server). */
  dir: string;
  stop(): Promise<void>;
}

function run(program: string, args: string[], asPostgres: boolean): Promise<string> {
  const [command, argv] = asPostgres
    ? ['runuser', ['-u', 'postgres', '--', program, ...args]]
    : [program, args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${program} failed:\n${output}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Debian's newest PostgreSQL, initialised in a temp dir and started on a free loopback port
 * (as the `postgres` user when the bench runs as root, since initdb refuses root), with its
 * default durability: the bench measures what a deployment would see.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (version === undefined) throw new Error('PostgreSQL is not installed (.ci/run installs it)');
  const bin = join(root, version, 'bin');
  const asPostgres = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-bench-postgres-'));
  const data = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(dir, 'password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await mkdir(join(dir, 'socket'));
  if (asPostgres) {
    const [uid, gid] = (await run('id', ['-u', 'postgres'], false))
      .trim()
      .concat(' ', (await run('id', ['-g', 'postgres'], false)).trim())
      .split(' ')
      .map(Number);
    for (const path of [dir, passwordFile, join(dir, 'socket')]) await chown(path, uid!, gid!);
  }
  await chmod(dir, 0o755);
  await run(
    join(bin, 'initdb'),
    [
      `--pgdata=${data}`,
      '--username=postgres',
      `--pwfile=${passwordFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '--encoding=UTF8',
      '--locale=C',
    ],
    asPostgres,
  );
  const port = await freePort();
  await appendFile(
    join(data, 'postgresql.conf'),
    `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${join(dir, 'socket')}'\n`,
  );
  await run(
    join(bin, 'pg_ctl'),
    ['start', `--pgdata=${data}`, `--log=${join(dir, 'log')}`, '--wait'],
    asPostgres,
  );
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dir,
    async stop() {
      await run(
        join(bin, 'pg_ctl'),
        ['stop', `--pgdata=${data}`, '--mode=immediate', '--wait'],
        asPostgres,
      ).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
