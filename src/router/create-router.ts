import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { ConfigError } from '../config/issues.js';
import { DEFAULT_ENVIRONMENT } from '../config/load-config.js';
import { DEFAULT_STABILITY_MS } from '../config/read-session.js';
import { createLogger } from '../logging.js';
import type { OutcomeSink } from '../outcomes/index.js';
import type { RuntimeLayerStore } from '../rollout-layers/index.js';
import type { WatchOptions } from '../watch/config-watcher.js';
import { Router } from './router.js';
import { loadSnapshot, type SnapshotSizes, snapshotSizes } from './snapshot-loader.js';
import { wireRouter } from './wire-router.js';

/** Options of {@link createRouter}. */
export interface RouterOptions extends SnapshotSizes {
  /** Directory holding `environments/` and `rules/`; default: the working directory. */
  configDir?: string;
  /** Environment to load; default: `FLAGROUTE_ENV`, else `development`. */
  environment?: string;
  /** Variables for the `LIGHTRAG_*` overlay; default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** A pino logger; default: JSON lines on stderr at the configured `log_level`. */
  logger?: Logger;
  /** Time source of the breaker, gate, triggers and metrics; default: the wall clock. */
  clock?: Clock;
  /** Base of file paths shown in messages; default: the working directory. */
  cwd?: string;
  /** Hot reload: watch the config directory (default `true`), or how to watch it; `false` turns it off. */
  watch?: boolean | WatchOptions;
  /**
   * Where every outcome with a cohort goes as an event (schemas/outcome-event.schema.json), for
   * user-level experiment analysis: an `OutcomeEventLog` (daily JSON-lines files) or any sink.
   * The sink is the caller's to close.
   */
  outcomeLog?: OutcomeSink;
  /**
   * Where the runtime layer and the kill switch live when not in the environment file (a
   * fleet's store, see docs/fleet.md): read at start, followed through its subscription, and
   * written by persisted changes (`updateRolloutPercentage(n, {persist})`, `resumeRollout`, the
   * triggers). Default: the environment file's `runtime:` and `rollback:` blocks. The store is
   * the caller's to close.
   */
  runtimeStore?: RuntimeLayerStore;
  /**
   * How long every file must be still before a load uses it (default 40 ms; see `loadConfig`).
   * The watch options' own `stabilityMs` wins when given.
   */
  stabilityMs?: number;
  /**
   * Time every decision (`elapsedMs`); default false: decisions are timed only for `explain`
   * and while detailed logging is on, since two clock reads cost about a sixth of a decision.
   */
  timeDecisions?: boolean;
}

/**
 * Loads the configuration and returns a router serving it, watching the files unless
 * `watch: false`. Rejects with a {@link ConfigError} listing every problem when the
 * configuration is invalid: at start-up there is no last good one.
 */
export async function createRouter(options: RouterOptions = {}): Promise<Router> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const environment = options.environment ?? env.FLAGROUTE_ENV ?? DEFAULT_ENVIRONMENT;
  const configDir = options.configDir ?? cwd;
  const sizes = snapshotSizes(options);
  const watch = options.watch ?? true;
  const stabilityMs =
    (typeof watch === 'object' ? watch.stabilityMs : undefined) ??
    options.stabilityMs ??
    DEFAULT_STABILITY_MS;
  const result = await loadSnapshot({ configDir, environment, env, cwd, stabilityMs, ...sizes });
  if (!result.ok) throw new ConfigError(result.issues);
  const logger = options.logger ?? createLogger(result.snapshot.settings.log_level);
  const internals = {
    clock: options.clock ?? systemClock,
    cwd,
    env,
    ownsLogger: options.logger === undefined,
    stabilityMs,
    timeDecisions: options.timeDecisions ?? false,
    ...sizes,
    ...(options.runtimeStore
      ? {
          runtimeStore: {
            layer: options.runtimeStore,
            initial: await options.runtimeStore.readRuntime(),
          },
        }
      : {}),
  };
  const router = new Router(wireRouter(result.snapshot, internals, logger));
  if (options.outcomeLog) router.addOutcomeSink(options.outcomeLog);
  if (watch !== false) await router.watch(watch === true ? {} : watch);
  return router;
}
