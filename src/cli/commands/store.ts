import { type Command, Option } from 'commander';
import { type MigrationReport, migrateStore, PostgresRuntimeStore } from '../../postgres/index.js';
import { UsageError } from '../shared.js';

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
