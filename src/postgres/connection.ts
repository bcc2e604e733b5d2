import type { Client, ClientConfig } from 'pg';
import { storeErrorOf } from './store-errors.js';
import type { PostgresTarget } from './store-url.js';

type NodePostgres = typeof import('pg').default;

let loading: Promise<NodePostgres> | undefined;

/** node-postgres, loaded on first use: importing flagroute never loads it. */
export function loadNodePostgres(): Promise<NodePostgres> {
  loading ??= import('pg').then((module) => module.default);
  return loading;
}

/** How long a connection attempt may take before it counts as unreachable, by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Idle time before TCP keepalive probes start (the operating system's default is two hours);
 * the probes' interval and count are the system's (docs/fleet.md, "Partitions").
 */
export const KEEPALIVE_IDLE_MS = 10_000;
/**
 * How long one statement of a serving process may take, by default: the client gives up
 * (`query_timeout`: a hung server answers nothing, and TCP keepalive does not notice one whose
 * kernel still acknowledges) and the server cancels it (`statement_timeout`: nothing abandoned
 * keeps running or holding locks). The same as the connect timeout: a request that needs the
 * store waits at most about this long before it is answered 503.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/** Options of {@link connectPostgres}. */
export interface ConnectOptions {
  /** Give up connecting after this long. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** What the server shows in `pg_stat_activity` (unless the URL's `application_name` says). */
  applicationName?: string;
  /**
   * Fail a statement that has not answered after this long (client and server side, see
   * {@link DEFAULT_QUERY_TIMEOUT_MS}). Default none: migrations and reports may take long.
   */
  queryTimeoutMs?: number;
}

/**
 * The client settings for a target: a connect timeout (an unreachable host fails instead of
 * hanging), TCP keepalive (a dead peer is noticed on an idle connection), a statement deadline
 * when asked (a hung server fails the statement instead of holding it forever), and an
 * application name that the URL may override.
 */
export function clientConfig(target: PostgresTarget, options: ConnectOptions = {}): ClientConfig {
  const deadline = options.queryTimeoutMs;
  return {
    connectionString: withExplicitSslMode(target.url),
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    fallback_application_name: options.applicationName ?? 'flagroute',
    ...(deadline === undefined
      ? {}
      : { query_timeout: deadline, statement_timeout: Math.max(1, Math.round(deadline)) }),
  };
}

/** The SSL modes node-postgres 8 reads as `verify-full` (it warns on each, SECURITY WARNING). */
const VERIFY_FULL_ALIASES = /([?&]sslmode=)(prefer|require|verify-ca)(?=&|#|$)/;

/**
 * The URL with `sslmode=prefer|require|verify-ca` spelt as what node-postgres 8 does with them,
 * `verify-full` (the certificate and the host name are checked), unless the URL asks for libpq's
 * weaker meanings with `uselibpqcompat=true`. The same connection, without node-postgres's
 * multi-line warning on every command (docs/fleet.md, "The database").
 */
export function withExplicitSslMode(url: string): string {
  if (/[?&]uselibpqcompat=/.test(url)) return url;
  return url.replace(VERIFY_FULL_ALIASES, '$1verify-full');
}

/**
 * One connected client of `target`. Failures are {@link StoreError}s (unreachable, refused
 * login, bad URL), never node-postgres's own errors, whose messages may name paths. The client
 * ignores errors that arrive while idle (a server going away): the next query fails with them.
 */
export async function connectPostgres(
  target: PostgresTarget,
  options: ConnectOptions = {},
): Promise<Client> {
  const pg = await loadNodePostgres();
  let client: Client;
  try {
    client = new pg.Client(clientConfig(target, options));
  } catch (error) {
    throw storeErrorOf(error, target);
  }
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw storeErrorOf(error, target);
  }
  return client;
}
