import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { inlineNoteOf, setEnvironmentValue } from '../../config/edit-environment.js';
import { displayPath } from '../../config/yaml-file.js';
import {
  type EnvironmentOptions,
  loadForCommand,
  UsageError,
  withEnvironmentOptions,
} from '../shared.js';

function parsePercentage(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0 || parsed > 100) {
    throw new UsageError(`percentage must be a number from 0 to 100, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

async function setRollout(
  options: EnvironmentOptions & { reason?: string },
  percentage: number,
  fallbackReason: string,
): Promise<void> {
  // Load first: a broken configuration is reported, not edited further.
  const config = await loadForCommand(options, {});
  if (!config) return;
  const before = config.settings.rollout_percentage;
  const file = join(options.configDir, 'environments', `${options.env}.yaml`);
  const reason = options.reason ?? fallbackReason;
  await setEnvironmentValue(
    file,
    'rollout_percentage',
    percentage,
    `set by flagroute at ${new Date().toISOString()}: ${reason}`,
  );
  process.stdout.write(
    `${displayPath(file, process.cwd())}: rollout_percentage ${before} -> ${percentage} (${reason}); watching routers reload it\n`,
  );
}

/** `flagroute rollout set`, `flagroute rollback` and `flagroute status`. */
export function rolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('change the rollout percentage in the environment file');
  withEnvironmentOptions(
    rollout
      .command('set')
      .description('set rollout_percentage in the environment file (comments and key order kept)'),
  )
    .argument('<percentage>', 'new rollout percentage, 0 to 100', parsePercentage)
    .option('--reason <text>', 'why, recorded beside the value in the file')
    .action(async (percentage: number, options: EnvironmentOptions & { reason?: string }) => {
      await setRollout(options, percentage, 'set from the command line');
    });

  withEnvironmentOptions(
    program.command('rollback').description('set rollout_percentage to 0 in the environment file'),
  )
    .option('--reason <text>', 'why, recorded beside the value in the file')
    .action(async (options: EnvironmentOptions & { reason?: string }) => {
      await setRollout(options, 0, 'manual rollback');
    });

  withEnvironmentOptions(
    program
      .command('status')
      .description("print the effective rollout, where it comes from and the file's last change"),
  )
    .option('--json', 'print JSON')
    .action(async (options: EnvironmentOptions & { json?: boolean }) => {
      const config = await loadForCommand(options, process.env);
      if (!config) return;
      const file = config.environmentFile;
      const modified = (await stat(file.path)).mtime.toISOString();
      const note = inlineNoteOf(await readFile(file.path, 'utf8'), 'rollout_percentage') ?? null;
      const status = {
        environment: config.environment,
        configVersion: config.version,
        rolloutPercentage: config.settings.rollout_percentage,
        origin: config.origins.get('rollout_percentage'),
        file: file.displayPath,
        fileModifiedAt: modified,
        lastChange: note,
        regions: Object.fromEntries(
          config.geographicRouting.map((region) => [region.region, region.rolloutPercentage]),
        ),
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      const lines = [
        `environment ${status.environment} (config ${status.configVersion})`,
        `rollout: ${status.rolloutPercentage} % [${status.origin}]`,
        `file: ${status.file}, last modified ${modified}`,
        `last change: ${note ?? '(not recorded in the file)'}`,
      ];
      if (config.geographicRouting.length > 0) {
        const regional = config.geographicRouting
          .map((region) => `${region.region} ${region.rolloutPercentage} %`)
          .join(', ');
        lines.push(
          `regions: ${regional}${status.rolloutPercentage === 0 ? ' (held at 0 while the rollout is 0)' : ''}`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
