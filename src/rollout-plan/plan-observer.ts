import { issueForResponse } from '../config/issue-for-response.js';
import { formatIssue } from '../config/issues.js';
import { tryLoadConfig } from '../config/load-config.js';
import type { LoadedConfig } from '../config/loaded-config.js';
import { type RuntimeLayerStore, withStoredState } from '../rollout-layers/index.js';
import { type Fault, FaultError } from './controller-health.js';
import type { PlanMetrics } from './guardrails.js';
import type { PlanMetricsSource, StageWindow } from './metrics-sources.js';
import type { PlanState } from './plan-state.js';
import { usersOf } from './shadow-stage.js';

/** What a {@link PlanObserver} reads from. */
export interface ObserverOptions {
  configDir: string;
  environment: string;
  env: Readonly<Record<string, string | undefined>>;
  stabilityMs?: number;
  source: PlanMetricsSource;
  /** A store that keeps the runtime layer and the kill switch instead of the file. */
  runtime?: RuntimeLayerStore;
}

/**
 * What a controller looks at: the configuration (read once per look or command, and again
 * after an edit, with the runtime state of a store that keeps it) and the metrics source. A configuration that cannot be loaded stops the look
 * (a `config_invalid` fault naming every problem as file:line:col); a metrics source that
 * cannot be read is a `metrics_unavailable` fault, and the look goes on without data.
 */
export class PlanObserver {
  /** The last configuration that loaded. */
  last: LoadedConfig | undefined;

  constructor(
    private readonly options: ObserverOptions,
    private readonly report: (fault: Fault) => void,
  ) {}

  /** The configuration now; throws a `config_invalid` fault when it cannot be loaded. */
  async config(): Promise<LoadedConfig> {
    const { configDir, environment, env, stabilityMs } = this.options;
    const result = await tryLoadConfig({
      configDir,
      environment,
      env,
      // Files are named relative to the configuration: the controller's messages reach a
      // server's answers (a refused plan command), where no path may appear.
      cwd: configDir,
      ...(stabilityMs === undefined ? {} : { stabilityMs }),
    });
    if (!result.ok) {
      // The fault reaches answers (/readyz, a refused plan command): each problem as an answer
      // may show it, since a line that does not parse may be the salt's.
      const problems = result.issues.map((issue) =>
        formatIssue(issueForResponse(issue, configDir)),
      );
      throw new FaultError({
        reason: 'config_invalid',
        message: `the configuration of ${environment} cannot be loaded, so the plan waits (flagroute validate says more): ${problems.join('; ')}`,
      });
    }
    const runtime = this.options.runtime;
    const config = runtime
      ? withStoredState(result.config, await runtime.readRuntime(), runtime.runtimeLocation)
      : result.config;
    this.last = config;
    return config;
  }

  /** The metrics source's reading, or null (reported as a fault) when it cannot be read. */
  async metrics(window?: StageWindow): Promise<PlanMetrics | null> {
    try {
      const reading = await this.options.source.read(window);
      // Lines the plan cannot count: a file of nothing but bad lines looked like no traffic.
      if (reading.skipped) {
        const { lines, examples } = reading.skipped;
        this.report({
          reason: 'events_skipped',
          message: `the metrics source ${this.options.source.name} of ${this.options.environment} has ${lines} line${lines === 1 ? '' : 's'} that are no outcome or exposure event, left out of the plan's data (${examples.join('; ')}${lines > examples.length ? '; ...' : ''}): flagroute experiment report --events names each`,
        });
      }
      return reading;
    } catch (error) {
      this.report({
        reason: 'metrics_unavailable',
        message: `the metrics source ${this.options.source.name} of ${this.options.environment} cannot be read (${(error as Error).message}); nothing is judged until it can: check that it is up`,
      });
      return null;
    }
  }

  /** The cumulative moments now, for a stage that starts; null without a source or a reading. */
  async baseline(): Promise<PlanMetrics['arms'] | null> {
    if (this.options.source.name === 'none') return null;
    return (await this.metrics())?.arms ?? null;
  }
}

/** The stage a plan's state is in, as a metrics source reads it; undefined before a stage starts. */
export function windowOf(state: PlanState, config: LoadedConfig): StageWindow | undefined {
  const stage = config.settings.rollout_plan.stages[state.stage];
  if (state.stageStartedAt === null || !stage) return undefined;
  const covariates = config.settings.rollout_plan.guardrails.adjustment !== 'none';
  return {
    since: state.stageStartedAt,
    percentage: usersOf(stage),
    covariates,
    ...(stage.shadow ? { shadow: true } : {}),
  };
}
