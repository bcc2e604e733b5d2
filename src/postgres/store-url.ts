import { StoreError } from '../errors.js';

/** The URL schemes of a PostgreSQL store. */
export const POSTGRES_SCHEMES = ['postgres:', 'postgresql:'] as const;

/** A PostgreSQL store's address, checked; what may be shown of it holds no secret. */
export interface PostgresTarget {
  /** The URL as given, password included: for the client only, never for a message or a log. */
  readonly url: string;
  /**
   * Where it points, for messages and logs: `database "flagroute" on db.internal:5432 as
   * "app"`. No password, no query parameters (they may name key files), no socket path.
   */
  readonly description: string;
  /** The host, or a socket directory (starting with `/`), or `''` for node-postgres's default. */
  readonly host: string;
  readonly port: number;
  /** The database, or `''` for the default (the user's name). */
  readonly database: string;
  /** The user, or `''` for the default (`PGUSER`, else the OS user). */
  readonly user: string;
}

const EXAMPLE = 'postgres://user:password@host:5432/database';

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The URL as node-postgres reads it (the same repairs: spaces, stray `%`, an empty host). */
function readUrl(text: string): { url: URL; emptyHost: boolean } | undefined {
  const repaired = /\s|%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(text)
    ? encodeURI(text).replace(/%25(\d\d)/g, '%$1')
    : text;
  try {
    return { url: new URL(repaired), emptyHost: false };
  } catch {
    try {
      return { url: new URL(repaired.replace('@/', '@___DUMMY___/')), emptyHost: true };
    } catch {
      return undefined;
    }
  }
}

/**
 * Checks a store URL (`postgres://` or `postgresql://`, read as node-postgres reads it) and
 * says where it points without its secrets. `source` names where the URL came from
 * (`--store`, `FLAGROUTE_STORE`) for the error, which never repeats the URL: it may hold a
 * password. The password may also come from `PGPASSWORD` or `~/.pgpass`, as for every
 * PostgreSQL client.
 */
export function parsePostgresUrl(text: string, source: string): PostgresTarget {
  // Without "://" a "scheme" is likely a user name ("app:secret@host"): not a URL at all.
  const read = text.includes('://') ? readUrl(text) : undefined;
  // The URL parser refuses a port above 65535 as it refuses a string that is no URL at all.
  const refusedPort = read
    ? undefined
    : /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i.exec(
        text,
      )?.[1];
  if (refusedPort !== undefined) throw badPort(source, refusedPort);
  if (!read) {
    throw new StoreError(
      'INVALID_STORE_URL',
      `${source} is not a URL (its value is not shown: it may hold a password); expected ${EXAMPLE}`,
    );
  }
  const { url, emptyHost } = read;
  if (!(POSTGRES_SCHEMES as readonly string[]).includes(url.protocol)) {
    throw new StoreError(
      'INVALID_STORE_URL',
      `${source} must be a postgres:// or postgresql:// URL, not ${JSON.stringify(url.protocol.slice(0, 20))}; expected ${EXAMPLE}`,
    );
  }
  const hostname = decoded(url.hostname).replace(/^\[(.+)\]$/, '$1');
  const host = url.searchParams.get('host') ?? (emptyHost ? '' : hostname);
  const port = url.searchParams.get('port') ?? (url.port || '5432');
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) {
    throw badPort(source, port);
  }
  const user = url.searchParams.get('user') ?? decoded(url.username);
  const database = decoded(url.pathname.slice(1));
  const where =
    host === ''
      ? `the default host (PGHOST, else localhost), port ${port}`
      : host.startsWith('/')
        ? `a local socket (port ${port})`
        : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const parts = [
    database === '' ? 'the default database' : `database ${JSON.stringify(database)}`,
    `on ${where}`,
  ];
  if (user !== '') parts.push(`as ${JSON.stringify(user)}`);
  return { url: text, description: parts.join(' '), host, port: Number(port), database, user };
}

function badPort(source: string, port: string): StoreError {
  return new StoreError(
    'INVALID_STORE_URL',
    `${source} names port ${JSON.stringify(port.slice(0, 20))}; a port is a whole number from 1 to 65535`,
  );
}
