import type { Backend } from '../config/types.js';
import type { Cohort, Reason } from '../decision/types.js';
import type { SeriesSummary } from '../outcomes/index.js';
import type { BreakerSnapshot } from '../safety/circuit-breaker.js';
import type { QualityGateSnapshot } from '../safety/quality-gate.js';
import type { DecisionCounts } from './decision-counts.js';
import type { OutcomeRecorder } from './outcome-recorder.js';
import type { RouterStatus } from './router-status.js';

/**
 * `getPerformanceSummary()`: the guide's shape (`circuit_breaker`, `performance` per backend,
 * times in seconds) with more: per-cohort figures, percentiles, the recent window, the quality
 * gate, decisions per cohort and reason, the rollout and the configuration.
 */
export interface PerformanceSummary {
  circuit_breaker: BreakerSnapshot;
  performance: Record<Backend, SeriesSummary>;
  cohorts: Record<Cohort, SeriesSummary>;
  /** Decisions made per cohort (`none`: the tree stopped before assignment). */
  cohort_distribution: Record<Cohort | 'none', number>;
  decisions_by_reason: Partial<Record<Reason, number>>;
  quality_gate: QualityGateSnapshot;
  rollout: {
    percentage: number;
    runtime_override: RouterStatus['runtimeOverrides']['rollout_percentage'] | null;
    rollback: RouterStatus['rollback'];
  };
  config: {
    environment: string;
    version: string;
    loaded_at: string;
    last_reload: RouterStatus['lastReload'];
  };
}

/** Assembles the summary from the router's state. */
export function summarise(input: {
  outcomes: OutcomeRecorder;
  counts: DecisionCounts;
  status: RouterStatus;
}): PerformanceSummary {
  const { backends, cohorts } = input.outcomes.tracker.summary();
  const { status } = input;
  return {
    circuit_breaker: input.outcomes.breaker.snapshot(),
    performance: backends,
    cohorts,
    cohort_distribution: input.counts.cohortDistribution(),
    decisions_by_reason: input.counts.byReason(),
    quality_gate: input.outcomes.gate.snapshot(),
    rollout: {
      percentage: status.rolloutPercentage,
      runtime_override: status.runtimeOverrides.rollout_percentage ?? null,
      rollback: status.rollback,
    },
    config: {
      environment: status.environment,
      version: status.configVersion,
      loaded_at: status.loadedAt,
      last_reload: status.lastReload,
    },
  };
}
