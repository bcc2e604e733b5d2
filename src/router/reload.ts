import type { Logger } from 'pino';
import { type ConfigIssue, formatIssue } from '../config/issues.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { RoutingSnapshot, SnapshotResult } from '../decision/snapshot.js';
import type { Result } from '../result.js';
import { ConfigWatcher, type WatchOptions } from '../watch/config-watcher.js';
import { diffConfigs } from './config-diff.js';
import type { RouterEventHub } from './event-hub.js';
import type { ChangedKey, ReloadErrorEvent, ReloadEvent } from './events.js';
import type { RolloutControl } from './rollout-control.js';
import type { ServingState } from './serving-state.js';

/** What a reload found: the changed keys, or the problems that kept the old config. */
export type ReloadOutcome = Result<{ changedKeys: ChangedKey[] }, { errors: ConfigIssue[] }>;

/** One log line: level, structured fields and message. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/**
 * What to do about one reload: the outcome for the caller, the lines to log, the event to emit
 * and, when it succeeded with changes, the snapshot to serve.
 */
export interface ReloadPlan {
  outcome: ReloadOutcome;
  log: LogLine[];
  event?:
    | { name: 'reload'; payload: ReloadEvent }
    | { name: 'reloadError'; payload: ReloadErrorEvent };
  serve?: RoutingSnapshot;
}

/**
 * Decides what a freshly loaded result means against the configuration served now: rejected
 * (the old one keeps serving), unchanged (nothing to do), or a new snapshot with what changed
 * (found a slice of the event loop at a time, see `diffConfigs`).
 */
export async function planReload(
  current: { snapshot: RoutingSnapshot; lastReloadOk: boolean },
  result: SnapshotResult,
): Promise<ReloadPlan> {
  if (!result.ok) return rejected(result.issues);
  const previous = current.snapshot.config;
  const next = result.snapshot;
  if (next.config.version === previous.version && current.lastReloadOk) {
    return {
      outcome: { ok: true, changedKeys: [] },
      log: [
        {
          level: 'debug',
          fields: { configVersion: previous.version },
          message: 'configuration unchanged',
        },
      ],
    };
  }
  const changedKeys = await diffConfigs(previous, next.config);
  return {
    outcome: { ok: true, changedKeys },
    log: [...syncWarning(current.snapshot, next), reloadedLine(previous, next.config, changedKeys)],
    event: {
      name: 'reload',
      payload: {
        configVersion: next.config.version,
        previousVersion: previous.version,
        changedKeys,
      },
    },
    serve: next,
  };
}

/** The old configuration keeps serving; every problem is logged and emitted. */
function rejected(issues: ConfigIssue[]): ReloadPlan {
  return {
    outcome: { ok: false, errors: issues },
    log: issues.map((issue) => ({
      level: 'error',
      fields: { issue },
      message: `reload rejected: ${formatIssue(issue)}`,
    })),
    event: { name: 'reloadError', payload: { errors: issues } },
  };
}

function reloadedLine(
  previous: LoadedConfig,
  next: LoadedConfig,
  changedKeys: ChangedKey[],
): LogLine {
  const changes = changedKeys.map(
    (change) => `${change.key}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}`,
  );
  return {
    level: 'info',
    fields: { configVersion: next.version, previousVersion: previous.version, changedKeys },
    message: `configuration reloaded (${previous.version} -> ${next.version})${changes.length ? `: ${changes.join(', ')}` : ''}`,
  };
}

function syncWarning(current: RoutingSnapshot, next: RoutingSnapshot): LogLine[] {
  const asyncRules = next.evaluator.asyncRules;
  if (asyncRules.length === 0 || current.evaluator.asyncRules.length > 0) return [];
  return [
    {
      level: 'warn',
      fields: { rules: asyncRules },
      message: `decideSync is unavailable from now on: ${asyncRules.join(', ')} need json-rules-engine's async run`,
    },
  ];
}

/** Writes a plan's log lines. */
export function logPlan(logger: Logger, plan: ReloadPlan): void {
  for (const line of plan.log) logger[line.level](line.fields, line.message);
}

/** What a {@link Reloader} works on. */
export interface ReloaderParts {
  state: ServingState;
  rollout: RolloutControl;
  events: RouterEventHub;
  logger: Logger;
  /** Loads and compiles the configuration from disk. */
  load(): Promise<SnapshotResult>;
  /** Serves the loaded settings with the runtime layers applied. */
  apply(): void;
}

/**
 * Re-reads the configuration and swaps in the new snapshot whole, one reload at a time and in
 * call order, so that a slower, older load can never replace a newer one; when watching, on
 * every change of the configuration's files (hot reload).
 */
export class Reloader {
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private watcher: ConfigWatcher | undefined;

  constructor(private readonly parts: ReloaderParts) {}

  /** Queues one reload; resolves with what it found. */
  reload(): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.once());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Starts hot reload: a reload after each change of the configuration directory's files. */
  async watch(options: WatchOptions): Promise<void> {
    const { state, logger, events } = this.parts;
    const reload = async () => {
      await this.reload();
    };
    this.watcher = new ConfigWatcher(state.loaded.configDir, reload, options, logger, (file) =>
      events.emit('writtenInPlace', { file }),
    );
    await this.watcher.start();
  }

  /** Makes later reloads no-ops and stops watching (the router is closing). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.close();
  }

  private async once(): Promise<ReloadOutcome> {
    const { state, rollout, events, logger } = this.parts;
    const at = state.isoNow();
    const result = await this.parts.load();
    if (this.stopped) return { ok: false, errors: [] };
    const plan = await planReload(
      { snapshot: state.snapshot, lastReloadOk: state.lastReload.ok },
      result,
    );
    if (this.stopped) return { ok: false, errors: [] };
    logPlan(logger, plan);
    if (plan.serve) {
      rollout.reloaded(state.loaded, plan.serve.config);
      state.swap(plan.serve);
      this.parts.apply();
    }
    if (plan.serve || !plan.outcome.ok) {
      state.lastReload = {
        ok: plan.outcome.ok,
        at,
        errors: plan.outcome.ok ? [] : plan.outcome.errors,
      };
    }
    if (plan.event?.name === 'reload') events.emit('reload', plan.event.payload);
    if (plan.event?.name === 'reloadError') events.emit('reloadError', plan.event.payload);
    return plan.outcome;
  }
}
