import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { FlagrouteError } from '../../errors.js';
import { createLogger } from '../../logging.js';
import type { PostgresRuntimeStore } from '../../postgres/index.js';
import { givenReason, withStoredState } from '../../rollout-layers/index.js';
import {
  type CommandReceipt,
  commandPlan,
  defaultStateDir,
  durationText,
  FilePlanStore,
  formatDuration,
  type HealthSnapshot,
  type LeaseReading,
  NO_METRICS,
  PLAN_ACTIONS,
  type PlanAction,
  type PlanStatus,
  type PlanStore,
  SCENARIOS,
  type Scenario,
  simulateRollout,
  statusFromStore,
} from '../../rollout-plan/index.js';
import { WAIT_BOUNDS } from '../../runtime-store/index.js';
import {
  durationOption,
  type EnvironmentOptions,
  UsageError,
  withEnvironmentOptions,
} from '../shared.js';
import { givenStoreOf, openRuntimeStoreOf, storeOption } from './store.js';

interface PlanFlags extends EnvironmentOptions {
  reason?: string;
  stateDir?: string;
  json?: boolean;
  wait: number;
}

/** The controller as the lease shows it, for a person. */
function describeLease(lease: LeaseReading): string {
  const at = (ms: number) => new Date(ms).toISOString();
  switch (lease.state) {
    case 'free':
      return 'none running';
    case 'live':
      return `${lease.holder} (lease generation ${lease.token}, last heartbeat ${at(lease.heartbeatAt)})`;
    case 'expired':
      return `none running (the lease of ${lease.holder} expired at ${at(lease.expiresAt)})`;
    case 'invalid':
      return `none running (the lease of ${lease.holder} is invalid: ${lease.why})`;
  }
}

/** The controller's health lines: degraded and why, and its errors since it started. */
function describeHealth(health: HealthSnapshot | null): string[] {
  if (!health) return [];
  const lines: string[] = [];
  if (health.status === 'degraded') {
    lines.push(`controller degraded since ${health.since}:`);
    for (const fault of health.faults) lines.push(`  ${fault.reason}: ${fault.message}`);
  }
  const errors = Object.entries(health.errors).map(([reason, count]) => `${reason} ${count}`);
  if (errors.length > 0) lines.push(`controller errors since it started: ${errors.join(', ')}`);
  return lines;
}

/** What a reading's failure does: `, on failure: step_down after 3 looks in a row`. */
function failureAction(reading: { action?: string; for?: number }): string {
  if (reading.action === undefined) return '';
  const looks = (reading.for ?? 1) > 1 ? ` after ${reading.for} looks in a row` : '';
  return `, on failure: ${reading.action}${looks}`;
}

/** The plan's status as a person reads it: the timeline, the stage's progress, the guardrails. */
function describePlanStatus(status: PlanStatus, lease: LeaseReading): string {
  const { state } = status;
  const lines = [
    `rollout plan of ${state.environment}: ${state.phase}${state.reason ? ` (${state.reason})` : ''}`,
    `serving ${status.percentage} %${status.shadow > 0 ? `, shadow ${status.shadow} % of the eligible queries Perplexity serves` : ''}; controller: ${describeLease(lease)}`,
    ...describeHealth(status.health),
    ...(status.planConflict === null
      ? []
      : [
          `NOT THIS CONFIGURATION'S PLAN: ${status.planConflict}`,
          `  the state is at stage ${state.stage + 1} of stages ${state.definition?.stages}; this configuration's stages, none applied:`,
        ]),
    '',
  ];
  for (const [index, stage] of status.stages.entries()) {
    const mark = stage.state === 'done' ? 'done' : stage.state === 'current' ? 'NOW ' : '    ';
    const extras = [
      `hold ${stage.hold}`,
      stage.shadow ? `${stage.min_pairs} pairs` : '',
      stage.min_units > 0 ? `${stage.min_units} per arm` : '',
      stage.approval ? 'needs approval' : '',
    ].filter(Boolean);
    const serves = stage.shadow
      ? `shadow ${stage.percentage} % of queries, no user on LightRAG`
      : `${String(stage.percentage).padStart(5)} %`;
    lines.push(`  ${mark} stage ${index + 1}: ${serves}  (${extras.join(', ')})`);
  }
  if (status.holdLeftMs !== null) lines.push('', `hold left: ${formatDuration(status.holdLeftMs)}`);
  const look = state.lastLook;
  if (look) {
    const needed = status.stages[state.stage]?.min_units ?? 0;
    const pairs = status.pairs;
    lines.push(
      pairs
        ? `pairs at this shadow stage: ${pairs.pairs} of ${pairs.needed}, from ${pairs.users} users (last look ${look.at})`
        : `units at this stage: LightRAG ${look.units.treatment}, baseline ${look.units.baseline}${needed ? ` of ${needed} per arm` : ''} (last look ${look.at})`,
      '',
      'guardrails:',
    );
    for (const reading of look.guardrails) {
      const value = reading.value === null ? '-' : reading.value.toPrecision(4);
      lines.push(
        `  ${reading.ok ? 'ok  ' : 'FAIL'} ${reading.name}: ${value} (threshold ${reading.threshold})${failureAction(reading)}${reading.note ? `; ${reading.note}` : ''}`,
      );
    }
  }
  if (state.history.length > 0) {
    lines.push('', 'history:');
    for (const item of state.history) {
      lines.push(
        `  ${item.at}  ${item.event.padEnd(8)} stage ${item.stage + 1}, ${item.percentage} %${item.shadow ? ` (shadow ${item.shadow} %)` : ''}: ${item.reason}`,
      );
    }
  }
  return lines.join('\n');
}

function stateDirOf(flags: PlanFlags): string {
  return flags.stateDir ?? defaultStateDir(flags.configDir);
}

/** Prints the plan's status; with `shared` (the fleet's store), its state, lease and runtime layers. */
async function printStatus(flags: PlanFlags, shared: PostgresRuntimeStore | undefined) {
  const loaded = await loadConfig({
    configDir: flags.configDir,
    environment: flags.env,
    env: process.env,
  });
  const config = shared
    ? withStoredState(loaded, await shared.readRuntime(), shared.runtimeLocation)
    : loaded;
  const store: PlanStore = shared ?? new FilePlanStore(stateDirOf(flags), flags.env);
  const { lease, problems, ...status } = await statusFromStore(config, store, Date.now());
  for (const problem of problems) process.stderr.write(`warning: ${problem.message}\n`);
  const controller = lease.state === 'live' ? lease.holder : null;
  process.stdout.write(
    flags.json
      ? `${JSON.stringify({ ...status, controller, lease }, null, 2)}\n`
      : `${describePlanStatus(status, lease)}\n`,
  );
}

/** What became of a command, for a person; a refusal by the running controller is thrown. */
function describeReceipt(action: PlanAction, flags: PlanFlags, receipt: CommandReceipt): string {
  if (receipt.applied) {
    return `rollout plan of ${flags.env}: ${receipt.state.phase} (${receipt.state.reason})`;
  }
  const queued = `rollout plan of ${flags.env}: "${action}" queued for the running controller ${receipt.holder}`;
  const { outcome } = receipt;
  if (!outcome) {
    const waited = flags.wait === 0 ? '' : `; not applied within ${durationText(flags.wait)}`;
    return `${queued}${waited}: it applies queued commands at its next poll (see flagroute rollout plan status)`;
  }
  if (!outcome.ok) {
    throw new FlagrouteError(
      outcome.code as never,
      `${queued}, which refused it: ${outcome.message}`,
    );
  }
  return `${queued}, which applied it: ${outcome.phase} (${outcome.reason})`;
}

/** `flagroute rollout plan <action>` and `flagroute rollout simulate`. */
export function rolloutPlanCommands(rollout: Command): void {
  withEnvironmentOptions(
    rollout
      .command('plan')
      .description(
        "drive the environment's rollout_plan: start, status, pause, resume, promote (skip a hold or approve a stage; never a failed guardrail), abort (kill switch), restart (a plan started under another rollout_plan, from stage 1 of this one)",
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
    .addOption(storeOption())
    .addOption(
      durationOption(
        '--wait <duration>',
        'with a controller running, how long to wait for it to apply the command (0: do not wait)',
        10_000,
        WAIT_BOUNDS,
      ),
    )
    .action(async (action: PlanAction | 'status', flags: PlanFlags, command: Command) => {
      const reason = action === 'status' ? undefined : givenReason(flags.reason);
      if (action !== 'status' && reason === undefined) {
        throw new UsageError(`rollout plan ${action} needs --reason`);
      }
      if (flags.stateDir !== undefined && givenStoreOf(command) !== undefined) {
        throw new UsageError(
          '--state-dir and --store do not go together: the store keeps the plan',
        );
      }
      // The plan's state, lease, commands and runtime layers in the fleet's store, if named.
      const shared = await openRuntimeStoreOf(command, flags.env);
      try {
        if (action === 'status') return await printStatus(flags, shared);
        const receipt = await commandPlan(
          {
            configDir: flags.configDir,
            environment: flags.env,
            stateDir: stateDirOf(flags),
            source: NO_METRICS,
            logger: createLogger('warn'),
            ...(shared ? { store: shared } : {}),
          },
          { action, reason: reason! },
          flags.wait,
        );
        process.stdout.write(`${describeReceipt(action, flags, receipt)}\n`);
      } finally {
        await shared?.close();
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
          `scenario ${result.scenario}: ${result.final.phase} at ${result.final.percentage} % (${result.queries} simulated queries, ${result.servedByLightrag} served by LightRAG, ${result.shadowed} answered by LightRAG in the shadow)`,
        ];
        for (const entry of result.timeline) {
          const serving = entry.shadow ? 'shadow' : `${String(entry.percentage).padStart(5)} %`;
          lines.push(
            `  ${entry.elapsed.padStart(7)}  stage ${entry.stage}  ${serving.padStart(7)}  ${entry.event.padEnd(8)} ${entry.reason}`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}
