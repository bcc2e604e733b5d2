import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { LoadedConfig } from '../../config/index.js';
import {
  clearRollout,
  effective,
  effectiveShadow,
  FileRuntimeLayer,
  givenReason,
  type LayerEdit,
  type LayerTarget,
  layersOf,
  resumeRollout,
  rollBack,
  setRollout,
  setShadow,
  withStoredState,
} from '../../rollout-layers/index.js';
import {
  type EnvironmentOptions,
  loadForCommand,
  UsageError,
  withEnvironmentOptions,
} from '../shared.js';
import { rolloutPlanCommands } from './rollout-plan.js';
import {
  openRuntimeStoreOf,
  reportAcknowledgements,
  staleAfterOption,
  storeOption,
  waitOption,
} from './store.js';

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

type ReasonOptions = EnvironmentOptions & { reason?: string; wait: number; staleAfter: number };

/** Loads with the variables of this shell, so that a variable shadowing the file is seen. */
async function load(options: EnvironmentOptions): Promise<LoadedConfig | undefined> {
  return loadForCommand(options, process.env);
}

/**
 * Runs a verb on the runtime store the command names (`--store`, `FLAGROUTE_STORE`: PostgreSQL,
 * shared by the fleet), else on the environment file; closes the store after.
 */
async function onTarget(
  config: LoadedConfig,
  command: Command,
  verb: (target: LayerTarget) => Promise<LayerEdit>,
): Promise<void> {
  const { configDir, environment } = config;
  const shared = await openRuntimeStoreOf(command, environment);
  try {
    const target = { config, store: shared ?? new FileRuntimeLayer({ configDir, environment }) };
    report(target, await verb(target));
    if (shared) await reportAcknowledgements(shared, command.opts<ReasonOptions>());
  } finally {
    await shared?.close();
  }
}

function report(target: LayerTarget, edit: LayerEdit): void {
  process.stdout.write(`${target.store.runtimeLocation}: ${edit.message}\n`);
}

/** `flagroute rollout set|clear|resume`, `flagroute rollback` and `flagroute status`. */
export function rolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('change the runtime layer of the rollout, or lift the kill switch');
  setCommand(rollout);
  shadowCommand(rollout);
  clearCommand(rollout);
  resumeCommand(rollout);
  rolloutPlanCommands(rollout);
  rollbackCommand(program);
  statusCommand(program);
}

function shadowCommand(rollout: Command): void {
  withEnvironmentOptions(
    rollout
      .command('shadow')
      .description(
        'a shadow stage by hand: the runtime layer at 0 % for users and this share of the queries Perplexity serves also sent to LightRAG in the shadow (docs/shadow.md), until "rollout clear" or "rollout set"; lifts the kill switch',
      ),
  )
    .argument('<percentage>', 'the shadow share, a decimal number from 0 to 100', parsePercentage)
    .option('--reason <text>', 'why, recorded with the runtime layer')
    .addOption(storeOption())
    .addOption(waitOption())
    .addOption(staleAfterOption())
    .action(async (shadowPercentage: number, options: ReasonOptions, command: Command) => {
      const reason = givenReason(options.reason) ?? 'shadow stage set from the command line';
      const config = await load(options);
      if (!config) return;
      const at = new Date();
      await onTarget(config, command, (target) =>
        setShadow(target, { shadowPercentage, reason, at, setBy: 'operator' }),
      );
    });
}

function setCommand(rollout: Command): void {
  withEnvironmentOptions(
    rollout
      .command('set')
      .description(
        'set the runtime layer: the rollout percentage above the file and every LIGHTRAG_* variable, capping every region, until "rollout clear"; lifts the kill switch (0 engages it)',
      ),
  )
    .argument(
      '<percentage>',
      'new rollout percentage, a decimal number from 0 to 100',
      parsePercentage,
    )
    .option('--reason <text>', 'why, recorded with the runtime layer')
    .addOption(storeOption())
    .addOption(waitOption())
    .addOption(staleAfterOption())
    .action(async (percentage: number, options: ReasonOptions, command: Command) => {
      const reason =
        givenReason(options.reason) ??
        (percentage === 0 ? 'manual rollback' : 'set from the command line');
      const config = await load(options);
      if (!config) return;
      const at = new Date();
      await onTarget(config, command, (target) =>
        setRollout(target, { percentage, reason, at, setBy: 'operator' }),
      );
    });
}

function clearCommand(rollout: Command): void {
  withEnvironmentOptions(
    rollout
      .command('clear')
      .description(
        'clear the runtime layer: the rollout returns to the file or variable value (the kill switch stays)',
      ),
  )
    .option('--reason <text>', 'why, for the message')
    .addOption(storeOption())
    .addOption(waitOption())
    .addOption(staleAfterOption())
    .action(async (options: ReasonOptions, command: Command) => {
      const reason = givenReason(options.reason) ?? 'runtime layer cleared';
      const config = await load(options);
      if (!config) return;
      await onTarget(config, command, (target) => clearRollout(target, { reason, at: new Date() }));
    });
}

function resumeCommand(rollout: Command): void {
  withEnvironmentOptions(
    rollout
      .command('resume')
      .description('lift the kill switch: the rollout returns to what the layers below it say'),
  )
    .option('--reason <text>', 'why, for the message')
    .addOption(storeOption())
    .addOption(waitOption())
    .addOption(staleAfterOption())
    .action(async (options: ReasonOptions, command: Command) => {
      const reason = givenReason(options.reason) ?? 'rollout resumed';
      const config = await load(options);
      if (!config) return;
      await onTarget(config, command, (target) =>
        resumeRollout(target, { reason, at: new Date() }),
      );
    });
}

function rollbackCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('rollback')
      .description(
        'engage the kill switch: 0 % in every region, above every variable and the runtime layer, until "rollout resume" or "rollout set"',
      ),
  )
    .option('--reason <text>', 'why, recorded with the kill switch')
    .addOption(storeOption())
    .addOption(waitOption())
    .addOption(staleAfterOption())
    .action(async (options: ReasonOptions, command: Command) => {
      const reason = givenReason(options.reason) ?? 'manual rollback';
      const config = await load(options);
      if (!config) return;
      await onTarget(config, command, (target) => rollBack(target, { reason, at: new Date() }));
    });
}

function statusCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('status')
      .description(
        'print the effective rollout, every layer behind it (file, variable, runtime, kill switch), the share of each region and why, and the last change',
      ),
  )
    .option('--json', 'print JSON')
    .addOption(storeOption())
    .action(async (options: EnvironmentOptions & { json?: boolean }, command: Command) => {
      const loaded = await load(options);
      if (!loaded) return;
      // With the fleet's store, its runtime layer and kill switch in place of the file's blocks.
      const shared = await openRuntimeStoreOf(command, loaded.environment);
      let config = loaded;
      try {
        if (shared) {
          config = withStoredState(loaded, await shared.readRuntime(), shared.runtimeLocation);
        }
      } finally {
        await shared?.close();
      }
      const status = await rolloutStatus(config);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${describeRolloutStatus(status).join('\n')}\n`);
    });
}

/** What `flagroute status` reports about one environment. */
async function rolloutStatus(config: LoadedConfig) {
  const file = config.environmentFile;
  const layers = layersOf(config);
  const now = effective(layers);
  const killSwitch = now.killSwitch;
  const runtime = layers.runtime ?? null;
  return {
    environment: config.environment,
    configVersion: config.version,
    rolloutPercentage: now.percentage,
    origin: now.origin,
    shadow: effectiveShadow(layers, config.settings),
    layers: {
      file: layers.file,
      variable: layers.variable ?? null,
      runtime,
      killSwitch: killSwitch
        ? { engaged: true, origin: now.origin, ...killSwitch }
        : { engaged: false, origin: null },
    },
    file: file.displayPath,
    fileModifiedAt: (await stat(file.path)).mtime.toISOString(),
    lastChange: killSwitch
      ? `kill switch engaged at ${killSwitch.at}: ${killSwitch.reason}`
      : runtime
        ? `runtime layer set at ${runtime.at} by ${runtime.setBy === 'plan' ? 'the plan' : 'an operator'}: ${runtime.reason}`
        : null,
    regions: now.regions,
  };
}

/** Where the shadow share comes from, in words. */
const SHADOW_FROM = { file: 'shadow.percentage', runtime: 'runtime', kill_switch: 'kill switch' };

function describeRolloutStatus(status: Awaited<ReturnType<typeof rolloutStatus>>): string[] {
  const { layers } = status;
  const runtime = layers.runtime;
  const lines = [
    `environment ${status.environment} (config ${status.configVersion})`,
    `rollout: ${status.rolloutPercentage} % [${status.origin}]`,
    `shadow: ${status.shadow.percentage} % of the eligible queries Perplexity serves [${SHADOW_FROM[status.shadow.layer]}]`,
    `  file: ${layers.file.value} % [${layers.file.origin}]`,
    `  variable: ${layers.variable ? `${layers.variable.value} % [${layers.variable.variable}]` : 'none'}`,
    `  runtime: ${runtime ? `${runtime.percentage} %${runtime.shadowPercentage === undefined ? '' : `, shadow ${runtime.shadowPercentage} %`} [set by ${runtime.setBy} at ${runtime.where}: ${runtime.reason}]` : 'none'}`,
    `  kill switch: ${layers.killSwitch.engaged ? `ENGAGED [${layers.killSwitch.origin}]` : 'off'}`,
    `file: ${status.file}, last modified ${status.fileModifiedAt}`,
    `last change: ${status.lastChange ?? '(none recorded: no runtime layer or kill switch)'}`,
  ];
  const regions = Object.entries(status.regions);
  if (regions.length > 0) {
    lines.push('regions:');
    for (const [name, region] of regions) {
      lines.push(`  ${name}: ${region.rolloutPercentage} % (${region.why})`);
    }
  }
  return lines;
}
