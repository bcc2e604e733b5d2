import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../logging.js';
import {
  commandPlan,
  defaultStateDir,
  formatDuration,
  liveLease,
  metricsSourceOf,
  NO_METRICS,
  PLAN_ACTIONS,
  type PlanAction,
  type PlanStatus,
  parseDuration,
  RolloutController,
  SCENARIOS,
  type Scenario,
  simulateRollout,
  statusFromStateFile,
} from '../../rollout-plan/index.js';
import { type EnvironmentOptions, UsageError, withEnvironmentOptions } from '../shared.js';

interface PlanFlags extends EnvironmentOptions {
  reason?: string;
  stateDir?: string;
  json?: boolean;
}

/** The plan's status as a person reads it: the timeline, the stage's progress, the guardrails. */
function describeStatus(status: PlanStatus, lease: string | null): string {
  const { state } = status;
  const lines = [
    `rollout plan of ${state.environment}: ${state.phase}${state.reason ? ` (${state.reason})` : ''}`,
    `serving ${status.percentage} %; controller: ${lease ?? 'none running'}`,
    '',
  ];
  for (const [index, stage] of status.stages.entries()) {
    const mark = stage.state === 'done' ? 'done' : stage.state === 'current' ? 'NOW ' : '    ';
    const extras = [
      `hold ${stage.hold}`,
      stage.min_units > 0 ? `${stage.min_units} per arm` : '',
      stage.approval ? 'needs approval' : '',
    ].filter(Boolean);
    lines.push(
      `  ${mark} stage ${index + 1}: ${String(stage.percentage).padStart(5)} %  (${extras.join(', ')})`,
    );
  }
  if (status.holdLeftMs !== null) lines.push('', `hold left: ${formatDuration(status.holdLeftMs)}`);
  const look = state.lastLook;
  if (look) {
    const needed = status.stages[state.stage]?.min_units ?? 0;
    lines.push(
      `outcomes at this stage: LightRAG ${look.units.treatment}, baseline ${look.units.baseline}${needed ? ` of ${needed} per arm` : ''} (last look ${look.at})`,
      '',
      'guardrails:',
    );
    for (const reading of look.guardrails) {
      const value = reading.value === null ? '-' : reading.value.toPrecision(4);
      lines.push(
        `  ${reading.ok ? 'ok  ' : 'FAIL'} ${reading.name}: ${value} (threshold ${reading.threshold})${reading.note ? `; ${reading.note}` : ''}`,
      );
    }
  }
  if (state.history.length > 0) {
    lines.push('', 'history:');
    for (const item of state.history) {
      lines.push(
        `  ${item.at}  ${item.event.padEnd(8)} stage ${item.stage + 1}, ${item.percentage} %: ${item.reason}`,
      );
    }
  }
  return lines.join('\n');
}

function stateDirOf(flags: PlanFlags): string {
  return flags.stateDir ?? defaultStateDir(flags.configDir);
}

async function printStatus(flags: PlanFlags): Promise<void> {
  const config = await loadConfig({
    configDir: flags.configDir,
    environment: flags.env,
    env: process.env,
  });
  const now = Date.now();
  const lease = await liveLease(stateDirOf(flags), flags.env, now);
  const status = await statusFromStateFile(config, stateDirOf(flags), now);
  process.stdout.write(
    flags.json
      ? `${JSON.stringify({ ...status, controller: lease?.holder ?? null }, null, 2)}\n`
      : `${describeStatus(status, lease?.holder ?? null)}\n`,
  );
}

/** `flagroute rollout plan <action>`, `flagroute rollout simulate` and `flagroute controller`. */
export function rolloutPlanCommands(rollout: Command, program: Command): void {
  withEnvironmentOptions(
    rollout
      .command('plan')
      .description(
        "drive the environment's rollout_plan: start, status, pause, resume, promote (skip a hold or approve a stage; never a failed guardrail), abort (kill switch)",
      ),
  )
    .argument('<action>', `one of status, ${PLAN_ACTIONS.join(', ')}`, (value: string) => {
      if (value !== 'status' && !(PLAN_ACTIONS as readonly string[]).includes(value)) {
        throw new UsageError(
          `the action must be one of status, ${PLAN_ACTIONS.join(', ')}, got ${JSON.stringify(value)}`,
        );
      }
      return value;
    })
    .option('--reason <text>', 'why (every action but status needs one)')
    .option(
      '--state-dir <dir>',
      'where the plan state and the controller lease live (default: state/ in the config directory)',
    )
    .option('--json', 'status as JSON')
    .action(async (action: PlanAction | 'status', flags: PlanFlags) => {
      if (action === 'status') return printStatus(flags);
      if (!flags.reason?.trim()) throw new UsageError(`rollout plan ${action} needs --reason`);
      const result = await commandPlan(
        {
          configDir: flags.configDir,
          environment: flags.env,
          stateDir: stateDirOf(flags),
          source: NO_METRICS,
          logger: createLogger('warn'),
        },
        { action, reason: flags.reason },
      );
      if (result.applied) {
        process.stdout.write(
          `rollout plan of ${flags.env}: ${result.state.phase} (${result.state.reason})\n`,
        );
      } else {
        process.stdout.write(
          `rollout plan of ${flags.env}: "${action}" queued for the running controller ${result.holder}; it applies it at its next look\n`,
        );
      }
    });

  withEnvironmentOptions(
    rollout
      .command('simulate')
      .description(
        'run the rollout plan against two synthetic backends on a simulated clock (the real router and controller)',
      ),
  )
    .requiredOption('--scenario <name>', SCENARIOS.join(', '), (value: string) => {
      if (!(SCENARIOS as readonly string[]).includes(value)) {
        throw new UsageError(
          `--scenario must be one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(value)}`,
        );
      }
      return value as Scenario;
    })
    .option('--seed <n>', 'seed of the synthetic traffic', (value: string) => {
      if (!/^\d+$/.test(value))
        throw new UsageError(`--seed must be a whole number, got ${JSON.stringify(value)}`);
      return Number(value);
    })
    .option('--json', 'print JSON')
    .action(
      async (flags: EnvironmentOptions & { scenario: Scenario; seed?: number; json?: boolean }) => {
        const result = await simulateRollout({
          configDir: flags.configDir,
          environment: flags.env,
          scenario: flags.scenario,
          ...(flags.seed === undefined ? {} : { seed: flags.seed }),
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const lines = [
          `scenario ${result.scenario}: ${result.final.phase} at ${result.final.percentage} % (${result.queries} simulated queries)`,
        ];
        for (const entry of result.timeline) {
          lines.push(
            `  ${entry.elapsed.padStart(7)}  stage ${entry.stage}  ${String(entry.percentage).padStart(5)} %  ${entry.event.padEnd(8)} ${entry.reason}`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );

  withEnvironmentOptions(
    program
      .command('controller')
      .description(
        'run the rollout controller of an environment: one look every --interval, until stopped',
      ),
  )
    .requiredOption(
      '--metrics <source>',
      'prometheus=URL (the fleet) or events=DIR (an outcome event log)',
    )
    .option('--interval <duration>', 'time between looks', '1m')
    .option(
      '--state-dir <dir>',
      'where the plan state and the lease live (default: state/ in the config directory)',
    )
    .action(async (flags: PlanFlags & { metrics: string; interval: string }) => {
      const interval = parseDuration(flags.interval);
      const source = metricsSourceOf(flags.metrics);
      const logger = createLogger('info');
      const controller = await RolloutController.open({
        configDir: flags.configDir,
        environment: flags.env,
        stateDir: stateDirOf(flags),
        source,
        logger,
      });
      logger.info(
        { environment: flags.env, metrics: source.name },
        `rollout controller of ${flags.env} running; a look every ${flags.interval}`,
      );
      let stopped = false;
      const stop = new Promise<void>((resolve) => {
        const done = () => {
          stopped = true;
          resolve();
        };
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      while (!stopped) {
        try {
          await controller.tick();
        } catch (error) {
          logger.error({ err: error }, 'rollout controller look failed; trying again at the next');
        }
        // A timer that holds the process between looks (an unref'd one let Node exit at once,
        // code 13, with the top-level await unsettled), cleared when a signal stops the loop.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          stop,
          new Promise((resolve) => (timer = setTimeout(resolve, interval))),
        ]);
        clearTimeout(timer);
      }
      await controller.close();
    });
}
