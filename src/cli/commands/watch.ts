import type { Command } from 'commander';
import { formatIssue } from '../../config/index.js';
import { createLogger } from '../../logging.js';
import { type ChangedKey, createRouter } from '../../router/index.js';
import { type EnvironmentOptions, withEnvironmentOptions } from '../shared.js';

function describeChanges(changes: readonly ChangedKey[]): string {
  if (changes.length === 0) return 'no setting changed';
  return changes
    .map(
      (change) => `${change.key}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}`,
    )
    .join(', ');
}

/** `flagroute watch`: loads, then prints one line per reload until interrupted. */
export function watchCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('watch')
      .description(
        'load the configuration, then print one line per reload (ok with the changed keys, or the errors)',
      ),
  ).action(async (options: EnvironmentOptions) => {
    const router = await createRouter({
      configDir: options.configDir,
      environment: options.env,
      logger: createLogger('silent'),
    });
    const print = (line: string) => process.stdout.write(`${line}\n`);
    const now = () => new Date().toISOString();
    router.on('reload', (event) => {
      print(
        `${now()} ok ${event.previousVersion} -> ${event.configVersion}: ${describeChanges(event.changedKeys)}`,
      );
    });
    router.on('writtenInPlace', ({ file }) => {
      print(
        `${now()} warning: ${file} was written in place, not renamed: a writer that pauses between lines can be read half-written; save atomically (a temporary file renamed over it)`,
      );
    });
    router.on('reloadError', (event) => {
      print(`${now()} rejected (still serving ${router.status().configVersion}):`);
      for (const issue of event.errors) print(`  ${formatIssue(issue)}`);
    });
    print(
      `watching ${options.configDir} for environment ${router.environment} (config ${router.status().configVersion}); Ctrl-C to stop`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await router.close();
  });
}
