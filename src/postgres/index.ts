/**
 * The PostgreSQL store's foundations: its URL, its connection and its errors. node-postgres is
 * loaded on first connection, never by importing this.
 */
export {
  type ConnectOptions,
  clientConfig,
  connectPostgres,
  DEFAULT_CONNECT_TIMEOUT_MS,
  loadNodePostgres,
} from './connection.js';
export { storeErrorOf } from './store-errors.js';
export { POSTGRES_SCHEMES, type PostgresTarget, parsePostgresUrl } from './store-url.js';
