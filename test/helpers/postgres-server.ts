import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import {
  appendFile,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { type OsUser, osUser, runningAsRoot } from './os-users.js';
import { POSTGRES_OS_USER, postgresBinDir, postgresMissing } from './postgres-install.js';

/** How long a cluster may take to be created or to start or stop, on a loaded machine. */
export const SERVER_DEADLINE_MS = 90_000;

interface Finished {
  code: number;
  output: string;
}

/** Runs a program to its end, as `user` when given (through runuser; the tests run as root). */
function run(program: string, args: string[], user?: OsUser): Promise<Finished> {
  const [command, argv] = user
    ? ['runuser', ['-u', user.name, '--', program, ...args]]
    : [program, args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** A running (or stopped) test cluster, owned by the test that started it. */
export interface PostgresServer {
  /** The loopback address it listens on. */
  readonly host: '127.0.0.1';
  /** Its TCP port (never 5432; the same across stop and start). */
  readonly port: number;
  /** The major version of the binaries that run it. */
  readonly version: number;
  /** The temp directory holding its data (`data/`), socket (`socket/`) and log. */
  readonly dir: string;
  /** The unix socket directory (in `dir`, never `/var/run/postgresql`). */
  readonly socketDir: string;
  /** The superuser's connection URL for `database` (default `postgres`). */
  superuserUrl(database?: string): string;
  /**
   * A new empty database owned by a new login role that is not a superuser (as an application
   * would connect); returns that role's URL. Every test can have its own.
   */
  createDatabase(): Promise<string>;
  /** Runs one statement as the superuser (in the `postgres` database unless told). */
  query<Row extends pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<Row[]>;
  /** Whether the server is meant to be running (started and not stopped). */
  readonly running: boolean;
  /** Stops the server: `fast` ends sessions cleanly, `immediate` is a crash. Waits until gone. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Whether it answers `pg_isready` now. */
  isAccepting(): Promise<boolean>;
  /**
   * Hangs the server (SIGSTOP to the postmaster, then to each of its processes): connections
   * stay open and the kernel still accepts new ones, but nothing answers. Returns the resume
   * (SIGCONT, children first), which a test must call in a `finally`.
   */
  freeze(): Promise<() => void>;
  /** The server's log so far (for a failure's message). */
  log(): Promise<string>;
  /** Stops it (as a crash, there is nothing to keep) and removes its directory. */
  destroy(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Where to look for Debian's versions. Default {@link POSTGRES_ROOT}. */
  root?: string;
}

/**
 * Creates a cluster with `initdb` in a new temp dir and starts it with `pg_ctl` on a free
 * loopback port, its socket in that dir: as the `postgres` OS user (through `runuser`) when the
 * tests run as root, else as the current user. TCP logins need a password (SCRAM); the
 * superuser's is random. Resolves once the server accepts connections, polled with a deadline.
 * Independent of Debian's default cluster (port 5432, `/var/run/postgresql`).
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const missing = postgresMissing(options.root);
  if (missing !== undefined) throw new Error(missing);
  const bin = postgresBinDir(options.root)!;
  const owner = runningAsRoot ? osUser(POSTGRES_OS_USER) : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-postgres-'));
  const cluster = new TestCluster(bin, dir, owner);
  forgetAtExit.add(cluster);
  try {
    await cluster.create();
    await cluster.firstStart();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}

/** Clusters still on disk: a worker that exits without its `afterAll` still removes them. */
const forgetAtExit = new Set<TestCluster>();
process.once('exit', () => {
  for (const cluster of forgetAtExit) cluster.destroySync();
});

class TestCluster implements PostgresServer {
  readonly host = '127.0.0.1';
  readonly socketDir: string;
  readonly version: number;
  port = 0;
  running = false;
  private readonly dataDir: string;
  private readonly logFile: string;
  private readonly password = randomBytes(18).toString('base64url');
  private databases = 0;

  constructor(
    private readonly bin: string,
    readonly dir: string,
    private readonly owner: OsUser | undefined,
  ) {
    this.dataDir = join(dir, 'data');
    this.socketDir = join(dir, 'socket');
    this.logFile = join(dir, 'server.log');
    this.version = Number.parseInt(bin.split('/').at(-2) ?? '', 10);
  }

  private tool(name: string, args: string[]): Promise<Finished> {
    return run(join(this.bin, name), args, this.owner);
  }

  async create(): Promise<void> {
    await mkdir(this.socketDir, { mode: 0o700 });
    const passwordFile = join(this.dir, 'superuser-password');
    await writeFile(passwordFile, `${this.password}\n`, { mode: 0o600 });
    if (this.owner) {
      for (const path of [this.dir, this.socketDir, passwordFile]) {
        await chown(path, this.owner.uid, this.owner.gid);
      }
    }
    await chmod(this.dir, 0o700);
    const created = await this.tool('initdb', [
      `--pgdata=${this.dataDir}`,
      '--username=postgres',
      `--pwfile=${passwordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await rm(passwordFile, { force: true });
    if (created.code !== 0) throw new Error(`initdb failed (${created.code}):\n${created.output}`);
    // Only the loopback address and the temp dir's socket; durability is not what tests need.
    await appendFile(
      join(this.dataDir, 'postgresql.conf'),
      [
        '',
        '# flagroute test cluster',
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${this.socketDir}'`,
        'fsync = off',
        'full_page_writes = off',
        'shared_buffers = 32MB',
        'max_connections = 100',
        '',
      ].join('\n'),
    );
  }

  /** Starts on a free port; another process may take the port first, so retries on a clash. */
  async firstStart(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        await this.start();
        return;
      } catch (error) {
        const log = await this.log();
        if (attempt >= 5 || !/could not bind|address already in use/i.test(log)) throw error;
      }
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    const seconds = String(Math.ceil(SERVER_DEADLINE_MS / 1000));
    const started = await this.tool('pg_ctl', [
      'start',
      `--pgdata=${this.dataDir}`,
      `--log=${this.logFile}`,
      `--options=-p ${this.port}`,
      '--wait',
      `--timeout=${seconds}`,
    ]);
    if (started.code !== 0) {
      throw new Error(
        `pg_ctl start failed (${started.code}):\n${started.output}\n${(await this.log()).slice(-4000)}`,
      );
    }
    this.running = true;
    await this.untilAccepting(Date.now() + SERVER_DEADLINE_MS);
  }

  private async untilAccepting(deadline: number): Promise<void> {
    while (!(await this.isAccepting())) {
      if (Date.now() > deadline) {
        throw new Error(`PostgreSQL on port ${this.port} did not accept connections in time`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async isAccepting(): Promise<boolean> {
    const ready = await run(join(this.bin, 'pg_isready'), [
      `--host=${this.host}`,
      `--port=${this.port}`,
      '--timeout=2',
    ]);
    return ready.code === 0;
  }

  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    const stopped = await this.tool('pg_ctl', [
      'stop',
      `--pgdata=${this.dataDir}`,
      `--mode=${mode}`,
      '--wait',
      `--timeout=${Math.ceil(SERVER_DEADLINE_MS / 1000)}`,
    ]);
    if (stopped.code !== 0) {
      throw new Error(`pg_ctl stop failed (${stopped.code}):\n${stopped.output}`);
    }
    this.running = false;
  }

  superuserUrl(database = 'postgres'): string {
    return `postgres://postgres:${this.password}@${this.host}:${this.port}/${database}`;
  }

  async query<Row extends pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    database = 'postgres',
  ): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.superuserUrl(database) });
    await client.connect();
    try {
      return (await client.query<Row>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async createDatabase(): Promise<string> {
    this.databases += 1;
    const name = `flagroute_test_${this.databases}_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('base64url');
    await this.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await this.query(`CREATE DATABASE ${name} OWNER ${name}`);
    return `postgres://${name}:${password}@${this.host}:${this.port}/${name}`;
  }

  async log(): Promise<string> {
    try {
      return await readFile(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } finally {
      forgetAtExit.delete(this);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  async freeze(): Promise<() => void> {
    const postmaster = Number(
      (await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    process.kill(postmaster, 'SIGSTOP');
    const children: number[] = [];
    try {
      for (const entry of await readdir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
        // pid (comm) state ppid ...: comm may hold spaces, so read after its closing paren.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === postmaster) {
          process.kill(Number(entry), 'SIGSTOP');
          children.push(Number(entry));
        }
      }
    } catch (error) {
      for (const child of children) process.kill(child, 'SIGCONT');
      process.kill(postmaster, 'SIGCONT');
      throw error;
    }
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      for (const child of children) {
        try {
          process.kill(child, 'SIGCONT');
        } catch {} // it ended meanwhile
      }
      process.kill(postmaster, 'SIGCONT');
    };
  }

  /** For the exit hook, where nothing asynchronous runs any more. */
  destroySync(): void {
    const pgCtl = join(this.bin, 'pg_ctl');
    const args = ['stop', `--pgdata=${this.dataDir}`, '--mode=immediate', '--wait'];
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      if (this.owner) spawnSync('runuser', ['-u', this.owner.name, '--', pgCtl, ...args]);
      else spawnSync(pgCtl, args);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
