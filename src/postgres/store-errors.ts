import { StoreError, type StoreErrorCode } from '../errors.js';
import type { PostgresTarget } from './store-url.js';

/** System errors of a connection, and what each means to the person reading the message. */
const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused; is PostgreSQL running and listening there?',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name cannot be resolved now',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  ENOENT: 'no server socket there; is PostgreSQL running?',
  EACCES: 'the server socket may not be opened',
};

/** SQLSTATEs that mean "fix the login or the grants", and what each says. */
const ACCESS_DENIED: Readonly<Record<string, string>> = {
  '28P01': 'password authentication failed (a wrong password, or no such role)',
  '28000':
    'the server refused the login (pg_hba.conf allows no such connection, or the role may not log in)',
  '3D000': 'the database does not exist',
  '42501': 'the role lacks a privilege',
};

/** SQLSTATE classes that mean "the server cannot serve now": resources, shutdown, connection. */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58'];

interface ErrorLike {
  code?: unknown;
  syscall?: unknown;
  severity?: unknown;
  message?: unknown;
}

/**
 * A node-postgres or system error as a {@link StoreError}: coded, saying where (without
 * secrets) and why. Messages are flagroute's own, never the error's: a system error's message
 * can name a socket or key file path. The server's own message is kept only for a privilege
 * refusal (it names the object) and for SQLSTATEs outside the known classes, which become
 * `fallback`.
 */
export function storeErrorOf(
  error: unknown,
  target: PostgresTarget,
  fallback: StoreErrorCode = 'STORE_UNAVAILABLE',
): StoreError {
  if (error instanceof StoreError) return error;
  const { code, syscall, severity, message } = (error ?? {}) as ErrorLike;
  const text = typeof message === 'string' ? message : '';
  const where = `PostgreSQL ${target.description}`;
  if (typeof code === 'string' && typeof severity === 'string') {
    const denied = ACCESS_DENIED[code];
    if (denied !== undefined) {
      const detail = code === '42501' ? `: ${text}` : '';
      return new StoreError('STORE_ACCESS_DENIED', `${where}: ${denied}${detail} (${code})`, code);
    }
    if (UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) {
      return new StoreError('STORE_UNAVAILABLE', `${where}: ${text} (${code})`, code);
    }
    return new StoreError(fallback, `${where} answered ${code}: ${text}`, code);
  }
  if (typeof code === 'string' && syscall === 'open') {
    return new StoreError(
      'INVALID_STORE_URL',
      `a file the store URL names (sslrootcert, sslcert or sslkey) cannot be read (${code})`,
      code,
    );
  }
  if (typeof code === 'string' && NETWORK_ERRORS[code] !== undefined) {
    return new StoreError('STORE_UNAVAILABLE', `${where}: ${NETWORK_ERRORS[code]} (${code})`, code);
  }
  if (typeof code === 'string' && /CERT|TLS|SSL/.test(code)) {
    return new StoreError(
      'STORE_ACCESS_DENIED',
      `${where}: the server's TLS certificate is not trusted (${code})`,
      code,
    );
  }
  const known = clientError(text);
  return new StoreError(known.code, `${where}: ${known.says}`);
}

/** node-postgres's own errors (they have no code) that flagroute recognises by their text. */
function clientError(text: string): { code: StoreErrorCode; says: string } {
  if (/client password must be a string/i.test(text)) {
    return {
      code: 'STORE_ACCESS_DENIED',
      says: 'the server asks for a password and none was given (in the URL, PGPASSWORD or ~/.pgpass)',
    };
  }
  if (/does not support SSL/i.test(text)) {
    return {
      code: 'STORE_ACCESS_DENIED',
      says: 'the server does not accept TLS, which the URL asks for (sslmode)',
    };
  }
  if (/timeout exceeded when trying to connect/i.test(text)) {
    return {
      code: 'STORE_UNAVAILABLE',
      says: 'every connection of this process to it stayed busy past the connect timeout',
    };
  }
  if (/Query read timeout/i.test(text))
    return { code: 'STORE_UNAVAILABLE', says: 'a statement got no answer in time' };
  if (/timeout|timed out/i.test(text))
    return { code: 'STORE_UNAVAILABLE', says: 'no answer in time' };
  if (/Connection terminated/i.test(text)) {
    return { code: 'STORE_UNAVAILABLE', says: 'the server closed the connection' };
  }
  return { code: 'STORE_UNAVAILABLE', says: 'the connection failed' };
}
