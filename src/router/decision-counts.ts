import { BACKENDS, type Backend } from '../config/types.js';
import { COHORTS, type Cohort, type Decision, REASONS, type Reason } from '../decision/types.js';

/** How many decisions went to one backend, in one cohort, for one reason. */
export interface LabelledCount {
  backend: Backend;
  cohort: Cohort | 'none';
  reason: Reason;
  count: number;
}

const COHORT_SLOTS = COHORTS.length + 1;

/**
 * Decisions made, per cohort and per reason. Typed-array counters indexed by the position in
 * the closed lists: counting stays off V8's slow keyed-store path on the hot path.
 */
export class DecisionCounts {
  private readonly cohorts = new Float64Array(COHORTS.length + 1);
  private readonly reasons = new Float64Array(REASONS.length);
  /** By backend, cohort and reason together (for labelled metrics). */
  private readonly labelled = new Float64Array(BACKENDS.length * COHORT_SLOTS * REASONS.length);

  add(decision: Pick<Decision, 'backend' | 'cohort' | 'reason'>): void {
    const cohort = decision.cohort === null ? COHORTS.length : COHORTS.indexOf(decision.cohort);
    const reason = REASONS.indexOf(decision.reason);
    this.cohorts[cohort]! += 1;
    this.reasons[reason]! += 1;
    const backend = decision.backend === BACKENDS[0] ? 0 : 1;
    this.labelled[(backend * COHORT_SLOTS + cohort) * REASONS.length + reason]! += 1;
  }

  /** Decisions by backend, cohort and reason, for the combinations seen. */
  byLabels(): LabelledCount[] {
    const counts: LabelledCount[] = [];
    for (const [index, count] of this.labelled.entries()) {
      if (count === 0) continue;
      const reason = REASONS[index % REASONS.length]!;
      const slot = Math.floor(index / REASONS.length);
      const cohort = COHORTS[slot % COHORT_SLOTS] ?? 'none';
      const backend = BACKENDS[Math.floor(slot / COHORT_SLOTS)]!;
      counts.push({ backend, cohort, reason, count });
    }
    return counts;
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
