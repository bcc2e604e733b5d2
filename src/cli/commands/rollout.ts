import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  displayPath,
  engageKillSwitch,
  inlineNoteOf,
  type LoadedConfig,
  liftKillSwitch,
  type RolloutEdit,
  regionShares,
  setFileRollout,
} from '../../config/index.js';
import {
  type EnvironmentOptions,
  loadForCommand,
  UsageError,
  withEnvironmentOptions,
} from '../shared.js';
import { rolloutPlanCommands } from './rollout-plan.js';

const DECIMAL = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

function parsePercentage(value: string): number {
  const parsed = Number(value);
  if (!DECIMAL.test(value)) {
    throw new UsageError(
      `percentage must be a number from 0 to 100, written in decimal (no hex, octal or binary), got ${JSON.stringify(value)}`,
    );
  }
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 100) {
    throw new UsageError(`percentage must be a number from 0 to 100, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

type ReasonOptions = EnvironmentOptions & { reason?: string };

/** Loads with the variables of this shell, so that a variable shadowing the file is seen. */
async function load(options: EnvironmentOptions): Promise<LoadedConfig | undefined> {
  return loadForCommand(options, process.env);
}

function report(edit: RolloutEdit, reason: string): void {
  const file = displayPath(edit.file, process.cwd());
  const switched =
    edit.killSwitch === 'engaged'
      ? '; kill switch set (0 % everywhere, above every variable)'
      : edit.killSwitch === 'lifted'
        ? '; kill switch lifted'
        : '';
  process.stdout.write(
    `${file}: rollout_percentage ${edit.before} -> ${edit.after} (${reason})${switched}; watching routers reload it\n`,
  );
}

/** `flagroute rollout set|resume`, `flagroute rollback` and `flagroute status`. */
export function rolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('change the rollout percentage in the environment file');
  setCommand(rollout);
  resumeCommand(rollout);
  rolloutPlanCommands(rollout);
  rollbackCommand(program);
  statusCommand(program);
}

function setCommand(rollout: Command): void {
  withEnvironmentOptions(
    rollout
      .command('set')
      .description(
        'set rollout_percentage in the environment file, lifting the kill switch (0 engages it); refused when a LIGHTRAG_ROLLOUT_PERCENTAGE variable would override it',
      ),
  )
    .argument(
      '<percentage>',
      'new rollout percentage, a decimal number from 0 to 100',
      parsePercentage,
    )
    .option('--reason <text>', 'why, recorded beside the value in the file')
    .action(async (percentage: number, options: ReasonOptions) => {
      const config = await load(options);
      if (!config) return;
      const reason =
        options.reason ?? (percentage === 0 ? 'manual rollback' : 'set from the command line');
      report(await setFileRollout(config, percentage, reason, new Date()), reason);
    });
}

function resumeCommand(rollout: Command): void {
  withEnvironmentOptions(
    rollout
      .command('resume')
      .description('lift the kill switch: the rollout returns to the file or variable value'),
  )
    .option('--reason <text>', 'why, for the log')
    .action(async (options: ReasonOptions) => {
      const config = await load(options);
      if (!config) return;
      const reason = options.reason ?? 'rollout resumed';
      const edit = await liftKillSwitch(config);
      if (edit.killSwitch === 'unchanged') {
        process.stdout.write(
          `${config.environmentFile.displayPath}: no kill switch is set; rollout stays at ${edit.before} %\n`,
        );
        return;
      }
      report(edit, reason);
    });
}

function rollbackCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('rollback')
      .description(
        'engage the kill switch: 0 % in every region, above every variable and runtime change, until "rollout resume" or "rollout set"',
      ),
  )
    .option('--reason <text>', 'why, recorded in the file')
    .action(async (options: ReasonOptions) => {
      const config = await load(options);
      if (!config) return;
      const reason = options.reason ?? 'manual rollback';
      const edit = await engageKillSwitch(config, reason, new Date());
      if (edit.killSwitch === 'unchanged') {
        const block = config.rolloutLayers.killSwitch?.block;
        process.stdout.write(
          `${config.environmentFile.displayPath}: already rolled back at ${block?.at} (${block?.reason}); nothing changed\n`,
        );
        return;
      }
      report(edit, reason);
    });
}

function statusCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('status')
      .description(
        'print the effective rollout, every layer behind it (file, variable, kill switch), the regions and the last change',
      ),
  )
    .option('--json', 'print JSON')
    .action(async (options: EnvironmentOptions & { json?: boolean }) => {
      const config = await load(options);
      if (!config) return;
      const status = await rolloutStatus(config);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${describeStatus(status).join('\n')}\n`);
    });
}

/** What `flagroute status` reports about one environment. */
async function rolloutStatus(config: LoadedConfig) {
  const file = config.environmentFile;
  const layers = config.rolloutLayers;
  const killSwitch = layers.killSwitch;
  const note = inlineNoteOf(await readFile(file.path, 'utf8'), 'rollout_percentage') ?? null;
  const effective = config.settings.rollout_percentage;
  return {
    environment: config.environment,
    configVersion: config.version,
    rolloutPercentage: effective,
    origin: config.origins.get('rollout_percentage'),
    layers: {
      file: layers.file,
      variable: layers.variable ?? null,
      killSwitch: killSwitch
        ? { engaged: true, origin: killSwitch.origin, ...killSwitch.block }
        : { engaged: false, origin: null },
    },
    file: file.displayPath,
    fileModifiedAt: (await stat(file.path)).mtime.toISOString(),
    lastChange: killSwitch
      ? `kill switch engaged at ${killSwitch.block.at}: ${killSwitch.block.reason}`
      : note,
    regions: regionShares(config, effective),
  };
}

function describeStatus(status: Awaited<ReturnType<typeof rolloutStatus>>): string[] {
  const { layers } = status;
  const lines = [
    `environment ${status.environment} (config ${status.configVersion})`,
    `rollout: ${status.rolloutPercentage} % [${status.origin}]`,
    `  file: ${layers.file.value} % [${layers.file.origin}]`,
    `  variable: ${layers.variable ? `${layers.variable.value} % [${layers.variable.variable}]` : 'none'}`,
    `  kill switch: ${layers.killSwitch.engaged ? `ENGAGED [${layers.killSwitch.origin}]` : 'off'}`,
    `file: ${status.file}, last modified ${status.fileModifiedAt}`,
    `last change: ${status.lastChange ?? '(not recorded in the file)'}`,
  ];
  const regions = Object.entries(status.regions);
  if (regions.length > 0) {
    const held = status.rolloutPercentage === 0;
    lines.push(
      `regions: ${regions
        .map(
          ([name, region]) =>
            `${name} ${region.rolloutPercentage} %${held ? ` (configured ${region.configured} %)` : ''}`,
        )
        .join(', ')}${held ? ' (held at 0 while the rollout is 0)' : ''}`,
    );
  }
  return lines;
}
