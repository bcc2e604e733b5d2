/**
 * The fleet's store on PostgreSQL: its URL, its schema and the migrations that make it. The
 * connection (node-postgres, loaded on first use) stays inside this folder, so that neither
 * flagroute's code nor its public types load or name node-postgres.
 */

export type { EventWindow } from './event-window.js';
export {
  ADVISORY_LOCK_CLASS,
  ADVISORY_LOCKS,
  DEFAULT_LOCK_TIMEOUT_MS,
  type MigrateSchemaOptions,
  type MigrateStoreOptions,
  type MigrationReport,
  migrateSchema,
  migrateStore,
  type Queryable,
} from './migrate-schema.js';
export { MIGRATIONS_DIR, type Migration, readMigrations, SCHEMA } from './migration-files.js';
export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres-event-store.js';
export { type ClosableMetricsSource, postgresMetrics } from './postgres-metrics.js';
export {
  DEFAULT_POLL_MS,
  PostgresRuntimeStore,
  type PostgresRuntimeStoreOptions,
} from './postgres-runtime-store.js';
export { readStorePairs, storePairs } from './store-pairs.js';
export { storeEventsSource } from './store-statistics.js';
export { POSTGRES_SCHEMES, type PostgresTarget, parsePostgresUrl } from './store-url.js';
