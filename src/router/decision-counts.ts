import { COHORTS, type Cohort, type Decision, REASONS, type Reason } from '../routing/types.js';

/**
 * Decisions made, per cohort and per reason. Typed-array counters indexed by the position in
 * the closed lists: counting stays off V8's slow keyed-store path on the hot path.
 */
export class DecisionCounts {
  private readonly cohorts = new Float64Array(COHORTS.length + 1);
  private readonly reasons = new Float64Array(REASONS.length);

  add(decision: Pick<Decision, 'cohort' | 'reason'>): void {
    const cohort = decision.cohort === null ? COHORTS.length : COHORTS.indexOf(decision.cohort);
    this.cohorts[cohort]! += 1;
    this.reasons[REASONS.indexOf(decision.reason)]! += 1;
  }

  /** Decisions per cohort; `none` counts those that stopped before assignment. */
  cohortDistribution(): Record<Cohort | 'none', number> {
    const distribution = { none: this.cohorts[COHORTS.length]! } as Record<Cohort | 'none', number>;
    COHORTS.forEach((cohort, index) => {
      distribution[cohort] = this.cohorts[index]!;
    });
    return distribution;
  }

  /** Decisions per reason, for the reasons seen. */
  byReason(): Partial<Record<Reason, number>> {
    const counts: Partial<Record<Reason, number>> = {};
    REASONS.forEach((reason, index) => {
      if (this.reasons[index]! > 0) counts[reason] = this.reasons[index]!;
    });
    return counts;
  }
}
