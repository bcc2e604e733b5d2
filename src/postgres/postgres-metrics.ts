import type { PlanMetrics, PlanMetricsSource } from '../rollout-plan/index.js';
import { readStage } from './stage-statistics.js';
import { readStorePairs } from './store-pairs.js';
import { StorePool } from './store-pool.js';
import { parsePostgresUrl } from './store-url.js';

/** A metrics source that holds connections: close it with the controller. */
export interface ClosableMetricsSource extends PlanMetricsSource {
  close(): Promise<void>;
}

/**
 * The controller's `postgres` metrics source: the stage's outcomes of the whole fleet, from the
 * store's event tables, aggregated per unit (user) in SQL, so the plan's guardrails are judged
 * at the unit of randomization. Each unit is in the arm of its first exposure of the stage's
 * period; LightRAG's p95 comes from the stage's outcomes; the units' covariates when the plan
 * judges adjusted estimates; a shadow stage also reads its pairs since it started, summed per
 * user. Without a stage (a command before the
 * plan starts), everything the environment has.
 */
export async function postgresMetrics(
  url: string,
  environment: string,
  source = '--store',
): Promise<ClosableMetricsSource> {
  const pool = await StorePool.open(parsePostgresUrl(url, source), {
    applicationName: 'flagroute controller metrics',
  });
  return {
    name: 'postgres',
    async read(window): Promise<PlanMetrics> {
      const [stage, pairs] = await Promise.all([
        readStage(pool, {
          environment,
          since: window?.since ?? 0,
          percentage: window?.percentage ?? null,
          covariates: window?.covariates ?? false,
        }),
        // A shadow stage is judged on its pairs since it started, summed per user in SQL.
        window?.shadow ? readStorePairs(pool, { environment, since: window.since }) : undefined,
      ]);
      return {
        unit: 'user',
        arms: stage.arms,
        counts: stage.counts,
        ...(stage.covariates ? { covariates: stage.covariates } : {}),
        breakerOpen: null,
        p95Seconds: stage.p95Seconds,
        rollback: null,
        ...(pairs ? { pairs } : {}),
      };
    },
    close: () => pool.end(),
  };
}
