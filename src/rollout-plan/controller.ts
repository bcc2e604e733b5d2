import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { loadConfig } from '../config/load-config.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import { engageKillSwitch, setFileRollout } from '../config/rollout-edits.js';
import type { RolloutStage } from '../config/types.js';
import { FlagrouteError } from '../errors.js';
import { formatDuration, parseDuration } from './duration.js';
import {
  type GuardrailReading,
  type PlanMetrics,
  readGuardrails,
  sinceStageStart,
  unitsOf,
} from './guardrails.js';
import type { PlanMetricsSource } from './metrics-sources.js';
import {
  type ArmSnapshot,
  isFinished,
  type PlanPhase,
  type PlanState,
  pendingState,
  type Transition,
  type TransitionEvent,
} from './plan-state.js';
import {
  acquireLease,
  defaultStateDir,
  holderName,
  liveLease,
  readPlanState,
  releaseLease,
  statePaths,
  writeJsonAtomic,
  writePlanState,
} from './state-store.js';
import { deliverWebhooks, type WebhookOptions } from './webhooks.js';

/** What a person can tell a plan. */
export const PLAN_ACTIONS = ['start', 'pause', 'resume', 'promote', 'abort'] as const;
/** A person's action on a plan. */
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** A person's command, with the reason every change needs. */
export interface PlanCommand {
  action: PlanAction;
  reason: string;
}

/** Options of {@link RolloutController.open}. */
export interface ControllerOptions {
  configDir: string;
  environment: string;
  /** Where the state file and lease live. Default `state/` in the config directory. */
  stateDir?: string;
  /** The plan's metrics: the in-process router, Prometheus or an events directory. */
  source: PlanMetricsSource;
  clock?: Clock;
  logger?: Logger;
  /** Variables for the `LIGHTRAG_*` overlay. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** How long the lease lasts without a heartbeat. Default 30 s. */
  leaseTtlMs?: number;
  /** This controller's name in the lease. Default host:pid:random. */
  holder?: string;
  webhook?: WebhookOptions;
  /** Stability window of config reads (see `loadConfig`). Default 40 ms. */
  stabilityMs?: number;
  /** Runs after every edit of the environment file (the simulation reloads its router here). */
  afterEdit?: () => Promise<void>;
}

/** The plan's status: its state, the current stage's progress and every guardrail. */
export interface PlanStatus {
  state: PlanState;
  stages: (RolloutStage & { state: 'done' | 'current' | 'next' })[];
  percentage: number;
  holdLeftMs: number | null;
  units: { treatment: number; baseline: number; needed: number } | null;
  guardrails: GuardrailReading[];
  source: string;
}

/** A transition as webhooks and listeners get it. */
export interface TransitionNotice extends Transition {
  environment: string;
}

type Listener = (notice: TransitionNotice) => void;

const ACTIVE: readonly PlanPhase[] = ['running', 'holding', 'awaiting_approval', 'paused'];

/**
 * Drives an environment's `rollout_plan`: advances a stage when its hold has passed, each arm
 * has `min_units` outcomes at that stage and every guardrail passes; rolls back at once through
 * the kill switch when a guardrail fails; holds (never fails) while data is thin, and pauses a
 * stage that waited too long. Every change of percentage is the same atomic file edit as
 * `flagroute rollout set`, so every router follows by hot reload. The state lives in a state file
 * (written atomically after every change) and one controller per environment holds a lease.
 */
export class RolloutController {
  private readonly clock: Clock;
  private readonly stateDir: string;
  private readonly holder: string;
  private readonly leaseTtlMs: number;
  private readonly listeners: Listener[] = [];
  private readonly deliveries = new Set<Promise<void>>();
  private current: PlanState;
  private lastReadings: GuardrailReading[] = [];
  private lastUnits: { treatment: number; baseline: number } | null = null;
  private lastConfig: LoadedConfig | undefined;

  private constructor(
    private readonly options: ControllerOptions,
    state: PlanState,
  ) {
    this.clock = options.clock ?? systemClock;
    this.stateDir = options.stateDir ?? defaultStateDir(options.configDir);
    this.holder = options.holder ?? holderName();
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.current = state;
  }

  /** Takes the environment's lease and reads its plan state (refuses if another holds it). */
  static async open(options: ControllerOptions): Promise<RolloutController> {
    const stateDir = options.stateDir ?? defaultStateDir(options.configDir);
    const controller = new RolloutController(options, pendingState(options.environment));
    const now = controller.clock.now();
    await acquireLease(
      stateDir,
      options.environment,
      controller.holder,
      now,
      controller.leaseTtlMs,
    );
    controller.current = await readPlanState(stateDir, options.environment);
    return controller;
  }

  /** The plan's state as last read or written. */
  get state(): PlanState {
    return this.current;
  }

  /** Calls `listener` on every transition. */
  onTransition(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Applies a person's command now (the CLI queues one when a controller runs elsewhere). */
  async command(command: PlanCommand): Promise<PlanState> {
    if (command.reason.trim() === '') {
      throw new FlagrouteError('INVALID_ARGUMENT', 'every plan action needs a reason (--reason)');
    }
    const config = await this.config();
    await this.apply(command, config);
    return this.current;
  }

  /**
   * One look: renew the lease, apply queued commands, then judge the plan on current data and
   * move it if it should. Overdue stages after downtime are caught up one look at a time, each
   * only if its checks pass on current data; approval stages always wait for a person.
   */
  async tick(): Promise<PlanState> {
    const now = this.clock.now();
    await acquireLease(this.stateDir, this.options.environment, this.holder, now, this.leaseTtlMs);
    this.current = await readPlanState(this.stateDir, this.options.environment);
    const config = await this.config();
    for (const command of await this.takeQueued()) await this.apply(command, config);
    if (!ACTIVE.includes(this.current.phase)) return this.current;
    if (config.rolloutLayers.killSwitch) {
      const block = config.rolloutLayers.killSwitch.block;
      await this.transition(
        'rollback',
        'rolled_back',
        `the kill switch was engaged (${block.reason}); the plan stops`,
      );
      return this.current;
    }
    const stage = config.settings.rollout_plan.stages[this.current.stage];
    if (!stage) {
      await this.transition(
        'pause',
        'paused',
        `the plan has no stage ${this.current.stage + 1} any more (the file changed); check rollout_plan`,
      );
      return this.current;
    }
    if (this.current.phase === 'paused') return this.current;
    const served = config.settings.rollout_percentage;
    if (served !== stage.percentage && config.rolloutLayers.variable === undefined) {
      await this.transition(
        'pause',
        'paused',
        `the rollout is ${served} % but stage ${this.current.stage + 1} is ${stage.percentage} %: it was changed outside the plan; resume to go on`,
      );
      return this.current;
    }
    await this.judge(config, stage, now);
    return this.current;
  }

  private async judge(config: LoadedConfig, stage: RolloutStage, now: number): Promise<void> {
    const metrics = await this.options.source.read();
    if (metrics.rollback !== null) {
      await engageKillSwitch(config, `the router rolled back: ${metrics.rollback}`, new Date(now));
      await this.options.afterEdit?.();
      await this.transition(
        'rollback',
        'rolled_back',
        `the router rolled back by itself: ${metrics.rollback}`,
      );
      return;
    }
    if (this.current.stageBaseline === null) {
      // Started without a metrics source (by the CLI): the stage's data begins now.
      this.current = { ...this.current, stageBaseline: metrics.arms };
    }
    const data = sinceStageStart(metrics.arms, this.current.stageBaseline);
    const readings = readGuardrails(config.settings, data, metrics);
    this.lastReadings = readings;
    this.lastUnits = unitsOf(data);
    this.current = {
      ...this.current,
      lastLook: { at: new Date(now).toISOString(), units: this.lastUnits, guardrails: readings },
    };
    await writePlanState(this.stateDir, this.current);
    const failed = readings.find((reading) => !reading.ok);
    if (failed) {
      await engageKillSwitch(
        config,
        `rollout plan guardrail ${failed.name} failed at stage ${this.current.stage + 1}`,
        new Date(now),
      );
      await this.options.afterEdit?.();
      await this.transition(
        'rollback',
        'rolled_back',
        `guardrail ${failed.name} failed: ${describeReading(failed)}`,
      );
      return;
    }
    const elapsed = now - (this.current.stageStartedAt ?? now);
    const hold = parseDuration(stage.hold);
    const promoted = this.current.promoteStage === this.current.stage;
    if (elapsed < hold && !promoted) return;
    const units = unitsOf(data);
    const short = Math.max(0, stage.min_units - Math.min(units.treatment, units.baseline));
    if (short > 0) {
      const maxHold = stage.max_hold
        ? parseDuration(stage.max_hold)
        : hold * config.settings.rollout_plan.max_hold_factor;
      if (elapsed > maxHold) {
        await this.transition(
          'pause',
          'paused',
          `stage ${this.current.stage + 1} waited ${formatDuration(elapsed)} (more than ${formatDuration(maxHold)}) for ${stage.min_units} outcomes per arm; it has ${units.treatment} and ${units.baseline}`,
        );
      } else if (this.current.phase !== 'holding') {
        await this.transition(
          'hold',
          'holding',
          `stage ${this.current.stage + 1} needs ${stage.min_units} outcomes per arm before it is judged; it has ${units.treatment} and ${units.baseline}`,
        );
      }
      return;
    }
    await this.advance(config, metrics, now);
  }

  private async advance(config: LoadedConfig, metrics: PlanMetrics, now: number): Promise<void> {
    const stages = config.settings.rollout_plan.stages;
    const next = this.current.stage + 1;
    if (next >= stages.length) {
      await this.transition(
        'complete',
        'completed',
        `every stage passed; the rollout stays at ${stages.at(-1)!.percentage} %`,
      );
      return;
    }
    const stage = stages[next]!;
    if (stage.approval && this.current.approvedStage !== next) {
      if (this.current.phase !== 'awaiting_approval') {
        await this.transition(
          'approval',
          'awaiting_approval',
          `stage ${next + 1} (${stage.percentage} %) needs a person's approval: flagroute rollout plan promote`,
        );
      }
      return;
    }
    await setFileRollout(
      config,
      stage.percentage,
      `rollout plan stage ${next + 1} of ${stages.length}`,
      new Date(now),
    );
    await this.options.afterEdit?.();
    this.current = {
      ...this.current,
      stage: next,
      stageStartedAt: now,
      stageBaseline: metrics.arms,
      promoteStage: null,
    };
    await this.transition(
      'advance',
      'running',
      `stage ${next} passed its checks; now ${stage.percentage} % for at least ${stage.hold}`,
    );
  }

  private async apply(command: PlanCommand, config: LoadedConfig): Promise<void> {
    const now = this.clock.now();
    const { phase } = this.current;
    const stages = config.settings.rollout_plan.stages;
    const refuse = (why: string) => {
      throw new FlagrouteError(
        'INVALID_ARGUMENT',
        `cannot ${command.action} the plan of ${this.options.environment}: ${why}`,
      );
    };
    switch (command.action) {
      case 'start': {
        if (ACTIVE.includes(phase)) refuse(`it is ${phase}; abort it first to start over`);
        if (config.rolloutLayers.variable)
          refuse(
            `${config.rolloutLayers.variable.variable} overrides the rollout percentage, so the plan could not change it`,
          );
        const first = stages[0]!;
        const baseline = await this.baselineNow();
        this.current = { ...pendingState(this.options.environment), history: this.current.history };
        if (first.approval) {
          this.current = { ...this.current, approvedStage: 0 };
        }
        await setFileRollout(
          config,
          first.percentage,
          `rollout plan stage 1 of ${stages.length}: ${command.reason}`,
          new Date(now),
        );
        await this.options.afterEdit?.();
        this.current = {
          ...this.current,
          stage: 0,
          stageStartedAt: now,
          stageBaseline: baseline,
        };
        await this.transition(
          'start',
          'running',
          `${command.reason}; stage 1: ${first.percentage} % for at least ${first.hold}`,
        );
        return;
      }
      case 'pause':
        if (!ACTIVE.includes(phase) || phase === 'paused') refuse(`it is ${phase}`);
        await this.transition('pause', 'paused', command.reason);
        return;
      case 'resume':
        if (phase !== 'paused') refuse(`it is ${phase}, not paused`);
        await this.resumeStage(config, command.reason, now);
        return;
      case 'promote':
        if (phase === 'awaiting_approval') {
          this.current = { ...this.current, approvedStage: this.current.stage + 1 };
          await this.transition('promote', 'running', `approved: ${command.reason}`);
          return;
        }
        if (phase !== 'running' && phase !== 'holding') refuse(`it is ${phase}`);
        this.current = { ...this.current, promoteStage: this.current.stage };
        await this.transition(
          'promote',
          phase,
          `the hold of stage ${this.current.stage + 1} is skipped (guardrails still apply): ${command.reason}`,
        );
        return;
      case 'abort':
        if (isFinished(phase) || phase === 'pending') refuse(`it is ${phase}`);
        await engageKillSwitch(config, `rollout plan aborted: ${command.reason}`, new Date(now));
        await this.options.afterEdit?.();
        await this.transition('abort', 'rolled_back', `aborted by a person: ${command.reason}`);
        return;
    }
  }

  /** Resuming restarts the stage's clock and data, and puts its percentage back if it was changed. */
  private async resumeStage(config: LoadedConfig, reason: string, now: number): Promise<void> {
    const stage = config.settings.rollout_plan.stages[this.current.stage];
    if (!stage)
      throw new FlagrouteError(
        'INVALID_ARGUMENT',
        `the plan has no stage ${this.current.stage + 1}; abort and start again`,
      );
    if (
      config.settings.rollout_percentage !== stage.percentage ||
      config.rolloutLayers.killSwitch
    ) {
      await setFileRollout(
        config,
        stage.percentage,
        `rollout plan resumed at stage ${this.current.stage + 1}: ${reason}`,
        new Date(now),
      );
      await this.options.afterEdit?.();
    }
    this.current = {
      ...this.current,
      stageStartedAt: now,
      stageBaseline: await this.baselineNow(),
    };
    await this.transition(
      'resume',
      'running',
      `${reason}; stage ${this.current.stage + 1} starts its hold again`,
    );
  }

  /** The cumulative moments now; null without a metrics source (the next look takes them). */
  private async baselineNow(): Promise<ArmSnapshot | null> {
    if (this.options.source.name === 'none') return null;
    return (await this.options.source.read()).arms;
  }

  private async transition(event: TransitionEvent, to: PlanPhase, reason: string): Promise<void> {
    const config = await this.config();
    const transition: Transition = {
      at: new Date(this.clock.now()).toISOString(),
      event,
      from: this.current.phase,
      to,
      stage: this.current.stage,
      percentage: config.settings.rollout_percentage,
      reason,
    };
    this.current = {
      ...this.current,
      phase: to,
      reason,
      history: [...this.current.history, transition],
    };
    await writePlanState(this.stateDir, this.current);
    const notice: TransitionNotice = { environment: this.options.environment, ...transition };
    this.options.logger?.[event === 'rollback' || event === 'abort' ? 'warn' : 'info'](
      { rolloutPlan: notice },
      `rollout plan ${this.options.environment}: ${event} (${transition.from} -> ${to}): ${reason}`,
    );
    for (const listener of this.listeners) listener(notice);
    const urls = config.settings.rollout_plan.webhooks;
    if (urls.length > 0) {
      const delivery = deliverWebhooks(urls, notice, {
        ...this.options.webhook,
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      });
      this.deliveries.add(delivery);
      void delivery.finally(() => this.deliveries.delete(delivery));
    }
  }

  /** The plan's status, with the readings of the last look. */
  async status(): Promise<PlanStatus> {
    // While the files are broken, the status shows the plan as last loaded.
    const config = await this.config().catch((error: unknown) => {
      if (this.lastConfig) return this.lastConfig;
      throw error;
    });
    return statusOf(
      config,
      this.current,
      this.lastReadings,
      this.lastUnits,
      this.clock.now(),
      this.options.source.name,
    );
  }

  /** The configuration now; a look refuses to act on a broken one (the error says why). */
  private async config(): Promise<LoadedConfig> {
    this.lastConfig = await loadConfig({
      configDir: this.options.configDir,
      environment: this.options.environment,
      env: this.options.env ?? process.env,
      ...(this.options.stabilityMs === undefined ? {} : { stabilityMs: this.options.stabilityMs }),
    });
    return this.lastConfig;
  }

  private async takeQueued(): Promise<PlanCommand[]> {
    const dir = statePaths(this.stateDir, this.options.environment).commands;
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
    } catch {
      return [];
    }
    const commands: PlanCommand[] = [];
    for (const name of names) {
      const file = join(dir, name);
      try {
        commands.push(JSON.parse(await readFile(file, 'utf8')) as PlanCommand);
      } catch (error) {
        this.options.logger?.error(
          { err: error, file },
          'a queued plan command could not be read; skipped',
        );
      }
      await rm(file, { force: true });
    }
    return commands;
  }

  /** Waits for webhook deliveries under way (bounded by their timeouts and retries). */
  async flush(): Promise<void> {
    await Promise.all([...this.deliveries]);
  }

  /** Gives up the lease (after the webhooks under way). */
  async close(): Promise<void> {
    await this.flush();
    await releaseLease(this.stateDir, this.options.environment, this.holder);
  }
}

function describeReading(reading: GuardrailReading): string {
  const value = reading.value === null ? 'no value' : reading.value.toPrecision(4);
  return `${value} against ${reading.threshold}${reading.note ? ` (${reading.note})` : ''}`;
}

/** The status of a plan (also for the CLI when no controller runs). */
export function statusOf(
  config: LoadedConfig,
  state: PlanState,
  readings: GuardrailReading[],
  units: { treatment: number; baseline: number } | null,
  now: number,
  source: string,
): PlanStatus {
  const stages = config.settings.rollout_plan.stages;
  const stage = stages[state.stage];
  const holdLeftMs =
    stage &&
    state.stageStartedAt !== null &&
    (state.phase === 'running' || state.phase === 'holding')
      ? Math.max(0, parseDuration(stage.hold) - (now - state.stageStartedAt))
      : null;
  return {
    state,
    stages: stages.map((item, index) => ({
      ...item,
      state: index < state.stage ? 'done' : index === state.stage ? 'current' : 'next',
    })),
    percentage: config.settings.rollout_percentage,
    holdLeftMs,
    units: units && stage ? { ...units, needed: stage.min_units } : null,
    guardrails: readings,
    source,
  };
}

/**
 * The plan's status as its state file holds it, with the guardrails of the last look: for those
 * who read a plan without driving it (the CLI's `status`, a dashboard without a controller).
 */
export async function statusFromStateFile(
  config: LoadedConfig,
  stateDir: string,
  now: number,
): Promise<PlanStatus> {
  const state = await readPlanState(stateDir, config.environment);
  const look = state.lastLook;
  return statusOf(config, state, look?.guardrails ?? [], look?.units ?? null, now, 'state file');
}

/**
 * A person's command when no controller may be running here: applied at once when no live
 * lease is held (this process takes the lease for the moment), else queued in the state
 * directory for the controller's next look. Returns what happened.
 */
export async function commandPlan(
  options: ControllerOptions,
  command: PlanCommand,
): Promise<{ applied: true; state: PlanState } | { applied: false; holder: string }> {
  const stateDir = options.stateDir ?? defaultStateDir(options.configDir);
  const clock = options.clock ?? systemClock;
  const lease = await liveLease(stateDir, options.environment, clock.now());
  if (lease) {
    const dir = statePaths(stateDir, options.environment).commands;
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, `${clock.now()}-${process.pid}.json`), command);
    return { applied: false, holder: lease.holder };
  }
  const controller = await RolloutController.open(options);
  try {
    return { applied: true, state: await controller.command(command) };
  } finally {
    await controller.close();
  }
}
