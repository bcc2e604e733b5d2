import type { Command } from 'commander';
import { describeFleet } from '../../runtime-store/index.js';
import { environmentOption } from '../shared.js';
import { openRuntimeStoreOf, staleAfterOption, storeOption, storeUrlOf } from './store.js';

/** `flagroute fleet status`: the instances on a store, their versions and where they disagree. */
export function fleetCommands(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('the instances that share a runtime store (PostgreSQL; see docs/fleet.md)');
  fleet
    .command('status')
    .description(
      'list the instances of the environment on the store: live, stale (no heartbeat) and recently stopped, with host, pid, address, configuration and runtime versions and last heartbeat; flags version skew',
    )
    .addOption(environmentOption('environment whose instances to list'))
    .addOption(storeOption())
    .addOption(staleAfterOption())
    .option('--json', 'print JSON')
    .action(
      async (options: { env: string; json?: boolean; staleAfter: number }, command: Command) => {
        storeUrlOf(command); // a clear usage error without a store
        const store = (await openRuntimeStoreOf(command, options.env))!;
        try {
          const status = await store.fleetStatus({ staleAfterMs: options.staleAfter });
          process.stdout.write(
            options.json
              ? `${JSON.stringify(status, null, 2)}\n`
              : `${describeFleet(status).join('\n')}\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
}
