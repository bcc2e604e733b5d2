import { type Command, Option } from 'commander';
import { createLogger } from '../../logging.js';
import {
  type MigrationReport,
  migrateStore,
  PostgresEventStore,
  PostgresRuntimeStore,
  postgresMetrics,
} from '../../postgres/index.js';
import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_STALE_AFTER_MS,
  describeAcknowledgements,
} from '../../runtime-store/index.js';
import { durationOption, UsageError, WAIT_BOUNDS } from '../shared.js';

/** The variable that names the store when `--store` is not given. */
export const STORE_VARIABLE = 'FLAGROUTE_STORE';

/** `--store <url>`, read from {@link STORE_VARIABLE} when absent. */
export function storeOption(): Option {
  return new Option(
    '--store <url>',
    'the PostgreSQL store: postgres://user:password@host:5432/database (better in the variable, or with PGPASSWORD, than on a command line others can read)',
  ).env(STORE_VARIABLE);
}

/** The store URL a command was given, and where it came from (for errors that never echo it). */
export function storeUrlOf(command: Command): { url: string; source: string } {
  const url = command.opts<{ store?: string }>().store;
  if (url === undefined || url === '') {
    throw new UsageError(
      `${command.name()} needs a store: --store postgres://user:password@host:5432/database, or ${STORE_VARIABLE}`,
    );
  }
  const source = command.getOptionValueSource('store') === 'env' ? STORE_VARIABLE : '--store';
  return { url, source };
}

/** `--stale-after`: how long without a heartbeat before an instance is not counted as live. */
export function staleAfterOption(): Option {
  return durationOption(
    '--stale-after <duration>',
    'an instance without a heartbeat for this long is stale, not live',
    DEFAULT_STALE_AFTER_MS,
    { min: 1_000, max: 3_600_000 },
  );
}

/** `--wait`: how long a runtime change on the store waits for the fleet to apply it. */
export function waitOption(): Option {
  return durationOption(
    '--wait <duration>',
    'with --store: how long to wait for every live instance to apply the change (0: do not wait)',
    DEFAULT_ACK_WAIT_MS,
    WAIT_BOUNDS,
  );
}

/**
 * `--heartbeat`: how often a serving instance tells the store it is alive (each is a write to
 * the store, hence at least 100ms).
 */
export function heartbeatOption(): Option {
  return durationOption(
    '--heartbeat <duration>',
    'with --store: how often this instance tells the store it is alive and what it serves',
    DEFAULT_HEARTBEAT_MS,
    { min: 100, max: 3_600_000 },
  );
}

/**
 * After a runtime change on the store: waits (`--wait`) for the live instances to apply it and
 * prints who did and who did not (`n of m`, the missing ones by host, pid and address). When the
 * store cannot be read for that, a warning says so and the command still succeeds: the change is
 * written.
 */
export async function reportAcknowledgements(
  store: PostgresRuntimeStore,
  options: { wait: number; staleAfter: number },
): Promise<void> {
  if (options.wait === 0) return;
  try {
    const acks = await store.awaitAcknowledgements({
      deadlineMs: options.wait,
      staleAfterMs: options.staleAfter,
    });
    process.stdout.write(`${store.runtimeLocation}: ${describeAcknowledgements(acks)}\n`);
  } catch (error) {
    // The change is written: a store lost just after must not make it look undone.
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `warning: the change is written to ${store.runtimeLocation}, but who applied it could not be read (${typeof code === 'string' ? code : 'STORE_UNAVAILABLE'}); see flagroute fleet status\n`,
    );
  }
}

/**
 * The PostgreSQL runtime store of `environment` when the command was given one (`--store`, or
 * {@link STORE_VARIABLE}), opened with its schema brought up to date; undefined when none was
 * given (the command then works on the files).
 */
export async function openRuntimeStoreOf(
  command: Command,
  environment: string,
): Promise<PostgresRuntimeStore | undefined> {
  const url = command.opts<{ store?: string }>().store;
  if (url === undefined || url === '') return undefined;
  return PostgresRuntimeStore.open({ ...storeUrlOf(command), environment });
}

/**
 * The event store of `environment` on the store the command was given (opened after the
 * runtime store, which migrates the schema).
 */
export async function openEventStoreOf(
  command: Command,
  environment: string,
): Promise<PostgresEventStore> {
  return PostgresEventStore.open({
    url: storeUrlOf(command).url,
    environment,
    logger: createLogger(),
  });
}

/**
 * The controller's metrics source a `--metrics` value names: `postgres` is the store's events
 * (it needs `--store`); any other value is left to `metricsSourceOf`.
 */
export async function postgresMetricsOf(command: Command, environment: string, spec: string) {
  if (spec !== 'postgres') return undefined;
  if (command.opts<{ store?: string }>().store === undefined) {
    throw new UsageError('--metrics postgres reads the store: give --store or FLAGROUTE_STORE');
  }
  const { url, source } = storeUrlOf(command);
  return postgresMetrics(url, environment, source);
}

function describe(report: MigrationReport): string {
  if (report.applied.length === 0) {
    return `PostgreSQL ${report.store}: flagroute schema at version ${report.to}, up to date\n`;
  }
  const applied = report.applied.map((each) => `${each.version} ${each.name}`).join(', ');
  return `PostgreSQL ${report.store}: flagroute schema ${report.from} -> ${report.to} (applied ${applied})\n`;
}

/** `flagroute store migrate`. */
export function storeCommands(program: Command): void {
  const store = program
    .command('store')
    .description('the runtime store a fleet shares (PostgreSQL; see docs/fleet.md)');
  store
    .command('migrate')
    .description(
      'create or upgrade the flagroute schema of a PostgreSQL store; safe to run from several places at once, refuses a schema newer than this flagroute',
    )
    .addOption(storeOption())
    .action(async (_options: unknown, command: Command) => {
      const { url, source } = storeUrlOf(command);
      process.stdout.write(describe(await migrateStore({ url, source })));
    });
}
