import { type Command, Option } from 'commander';
import type { Logger } from 'pino';
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
  WAIT_BOUNDS,
} from '../../runtime-store/index.js';
import { durationOption, UsageError } from '../shared.js';

/** The variable that names the store when `--store` is not given. */
export const STORE_VARIABLE = 'FLAGROUTE_STORE';

/** What `--store [url]` holds once parsed: the URL, `true` when bare, undefined when absent. */
export type StoreFlag = string | true | undefined;

/** A store URL and where it came from (`--store` or the variable), for errors that never echo it. */
export interface GivenStore {
  url: string;
  source: string;
}

const STORE_HELP =
  'the PostgreSQL store: postgres://user:password@host:5432/database; bare, the URL in FLAGROUTE_STORE (better there, or with PGPASSWORD, than on a command line others can read)';

/**
 * `--store [url]`: a URL, or bare for the one in {@link STORE_VARIABLE}, as a Deployment writes
 * `flagroute serve --store` with the variable from a Secret. With `absentReadsVariable` (every
 * command but the experiment report's, where the store is one source among several), the
 * variable is read when the flag is absent too.
 */
export function storeOption({
  absentReadsVariable = true,
  description = STORE_HELP,
}: {
  absentReadsVariable?: boolean;
  description?: string;
} = {}): Option {
  const option = new Option('--store [url]', description).argParser(storeUrlArgument);
  return absentReadsVariable ? option.env(STORE_VARIABLE) : option;
}

/**
 * A value after `--store` that is no URL is most likely the command's next argument taken as
 * one (`rollout plan --store status`): said so at once, not as that argument missing. The value
 * is not shown (it may be a password); the URL itself is checked when the store opens.
 * Commander parses {@link STORE_VARIABLE}'s value here too, without saying so: that value is
 * left to the store's own check, which names the variable (a `--store` never given was blamed).
 */
function storeUrlArgument(value: string): string {
  if (value === '' || value.includes('://')) return value;
  if (value === process.env[STORE_VARIABLE]) return value;
  throw new UsageError(
    "--store is not a URL (its value is not shown: it may hold a password); expected postgres://user:password@host:5432/database (a bare --store, for FLAGROUTE_STORE's, takes the next word as its URL: put it after the command's arguments)",
  );
}

/**
 * The store a `--store` value names: the URL given; for a bare `--store`, {@link STORE_VARIABLE}
 * (a usage error when that is not set); undefined when neither names one (`--store ""` and an
 * empty variable name none). `fromVariable` says the value was read from the variable.
 */
export function givenStore(
  flag: StoreFlag,
  fromVariable = false,
  env: Readonly<Record<string, string | undefined>> = process.env,
): GivenStore | undefined {
  if (flag === true) {
    const url = env[STORE_VARIABLE];
    if (url === undefined || url === '') {
      throw new UsageError(
        `--store without a URL reads ${STORE_VARIABLE}, which is not set: set it, or give --store postgres://user:password@host:5432/database`,
      );
    }
    return { url, source: STORE_VARIABLE };
  }
  if (flag === undefined || flag === '') return undefined;
  return { url: flag, source: fromVariable ? STORE_VARIABLE : '--store' };
}

/** The store a command was given (`--store URL`, a bare `--store`, or the variable alone), if any. */
export function givenStoreOf(command: Command): GivenStore | undefined {
  return givenStore(
    command.opts<{ store?: StoreFlag }>().store,
    command.getOptionValueSource('store') === 'env',
  );
}

/**
 * Warns, once, when the store URL was given on the command line with a password in it: every
 * user of the machine can read a command line (`ps`, `/proc/PID/cmdline`). For the commands
 * that keep running (serve, controller); the warning never shows the URL.
 */
export function warnOfPasswordOnCommandLine(command: Command, logger: Logger): void {
  const given = givenStoreOf(command);
  if (given?.source !== '--store' || !hasPassword(given.url)) return;
  logger.warn(
    `the store URL after --store holds a password, which every user of this machine can read on the command line (ps): give the URL in ${STORE_VARIABLE} (with a bare --store, or none), or the password in PGPASSWORD or ~/.pgpass`,
  );
}

/** Whether a store URL carries a password: `user:password@`, or a `password` parameter. */
function hasPassword(url: string): boolean {
  return /^[a-z]+:\/\/[^/@?#]*:[^@]*@/i.test(url) || /[?&]password=/.test(url);
}

/** The store URL a command was given, and where it came from; a usage error when none was. */
export function storeUrlOf(command: Command): GivenStore {
  const given = givenStoreOf(command);
  if (given === undefined) {
    throw new UsageError(
      `${command.name()} needs a store: --store postgres://user:password@host:5432/database, or ${STORE_VARIABLE} (with or without a bare --store)`,
    );
  }
  return given;
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
 * given (the command then works on the files). A server or controller passes its `logger`:
 * the store logs there when it loses and regains the database.
 */
export async function openRuntimeStoreOf(
  command: Command,
  environment: string,
  logger?: Logger,
): Promise<PostgresRuntimeStore | undefined> {
  const given = givenStoreOf(command);
  if (given === undefined) return undefined;
  return PostgresRuntimeStore.open({ ...given, environment, ...(logger ? { logger } : {}) });
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
  const given = givenStoreOf(command);
  if (given === undefined) {
    throw new UsageError('--metrics postgres reads the store: give --store or FLAGROUTE_STORE');
  }
  const { url, source } = given;
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
