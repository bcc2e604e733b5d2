import { CentredMoments, METRIC_TABLE, metricValue, OUTCOME_METRICS } from '../metrics/index.js';
import type { OutcomeEvent } from '../outcomes/index.js';
import type { ArmMoments } from './arm-moments.js';
import { eventTime } from './event-time.js';
import type { AnalysisUnit, Arm, ExperimentStats, OutcomeGroup } from './experiment-data.js';

const METRIC_COUNT = METRIC_TABLE.length;
/** A user seen in both arms: dropped from user-level analysis, as gbstats drops multiple exposures. */
const BOTH_ARMS = -1;

/** No outcome (or no exposure) seen for the user yet. */
const NONE = -2;

type ArmCode = 0 | 1 | typeof BOTH_ARMS | typeof NONE;

/** One user's running sums: per metric, m (sum of values) and d (count of values). */
interface UserTally {
  /** The arm of the user's outcomes. */
  arm: ArmCode;
  /** The arm of the user's exposure records. */
  exposed: ArmCode;
  sums: Float64Array;
}

/** The arm code a tally has after also being seen in `arm`. */
const joined = (was: ArmCode, arm: ArmCode): ArmCode =>
  was === NONE || was === arm ? arm : arm === NONE ? was : BOTH_ARMS;

/** An accumulator's state as plain data (typed arrays and strings), for worker threads. */
export interface AccumulatorState {
  requests: Float64Array[];
  counts: EventCounts;
  firstTime: number;
  lastTime: number;
  keys: string[];
  arms: Int8Array;
  exposed: Int8Array;
  exposures: number;
  sums: Float64Array;
}

/** What the accumulator could not use, by reason. */
export interface EventCounts {
  /** Events of either arm. */
  analyzed: number;
  /** Cohort `control`: outside the experiment. */
  outsideExperiment: number;
  /** Events with neither `unit` nor `userId` (usable at the request unit only). */
  withoutUnit: number;
}

/**
 * Folds outcome events into the sufficient statistics of both units of analysis in one pass:
 * constant memory for the request unit, one small record per user for the user unit. Event
 * order does not matter.
 */
export class EventAccumulator {
  /** Request-level moments per arm (lightrag, perplexity), centred on their means (Welford). */
  private readonly requests = [new CentredMoments(), new CentredMoments()];
  private readonly users = new Map<string, UserTally>();
  readonly counts: EventCounts = { analyzed: 0, outsideExperiment: 0, withoutUnit: 0 };
  /** Exposure records folded (duplicates included). */
  exposures = 0;
  /** Earliest and latest event time (ms since the epoch), for rates. */
  firstTime = Number.POSITIVE_INFINITY;
  lastTime = Number.NEGATIVE_INFINITY;

  /** Adds one event. */
  add(event: OutcomeEvent): void {
    if (event.cohort === 'control') {
      this.counts.outsideExperiment += 1;
      return;
    }
    this.counts.analyzed += 1;
    const time = eventTime(event.time);
    if (time < this.firstTime) this.firstTime = time;
    if (time > this.lastTime) this.lastTime = time;
    const arm = event.cohort === 'lightrag' ? 0 : 1;
    const key = event.unit ?? (event.userId === undefined ? undefined : `id:${event.userId}`);
    let tally: UserTally | undefined;
    if (key === undefined) this.counts.withoutUnit += 1;
    else tally = this.tallyOf(key, arm);
    const moments = this.requests[arm]!;
    for (let index = 0; index < METRIC_COUNT; index += 1) {
      const value = metricValue(METRIC_TABLE[index]!, event);
      if (value === undefined) continue;
      moments.addAt(index, value);
      if (tally) {
        tally.sums[index * 2]! += value;
        tally.sums[index * 2 + 1]! += 1;
      }
    }
  }

  /** Adds a group of outcomes summed elsewhere (one unit in one arm, or an arm's without a unit). */
  addGroup(group: OutcomeGroup): void {
    this.counts.analyzed += group.events;
    if (group.first < this.firstTime) this.firstTime = group.first;
    if (group.last > this.lastTime) this.lastTime = group.last;
    const arm = group.arm === 'lightrag' ? 0 : 1;
    // As another accumulator's state (count, reference, mean around it, centred sum), merged.
    const state = new Float64Array(METRIC_COUNT * 4);
    for (let index = 0; index < METRIC_COUNT; index += 1) {
      const n = group.counts[index]!;
      if (n > 0) state.set([n, group.sums[index]! / n, 0, group.centred[index]!], index * 4);
    }
    this.requests[arm]!.merge(state);
    if (group.unit === null) this.counts.withoutUnit += group.events;
    const tally = group.unit === null ? undefined : this.tallyOf(group.unit, arm);
    for (let index = 0; tally && index < METRIC_COUNT; index += 1) {
      tally.sums[index * 2]! += group.sums[index]!;
      tally.sums[index * 2 + 1]! += group.counts[index]!;
    }
  }

  /** Adds outcomes outside the experiment (cohort `control`), counted only. */
  addOutsideExperiment(count: number): void {
    this.counts.outsideExperiment += count;
  }

  /** Adds one exposure record: the unit was assigned `cohort` (counted once per unit). */
  addExposure(exposure: { unit: string; cohort: 'lightrag' | 'perplexity' }): void {
    this.exposures += 1;
    const tally = this.tallyFor(exposure.unit);
    tally.exposed = joined(tally.exposed, exposure.cohort === 'lightrag' ? 0 : 1);
  }

  private tallyFor(key: string): UserTally {
    let tally = this.users.get(key);
    if (!tally) {
      tally = { arm: NONE, exposed: NONE, sums: new Float64Array(METRIC_COUNT * 2) };
      this.users.set(key, tally);
    }
    return tally;
  }

  private tallyOf(key: string, arm: 0 | 1): UserTally {
    const tally = this.tallyFor(key);
    tally.arm = joined(tally.arm, arm);
    return tally;
  }

  /** Everything folded so far, as plain data a worker thread can send back (see {@link merge}). */
  exportState(): AccumulatorState {
    const keys = [...this.users.keys()];
    const arms = new Int8Array(keys.length);
    const exposed = new Int8Array(keys.length);
    const sums = new Float64Array(keys.length * METRIC_COUNT * 2);
    for (const [index, key] of keys.entries()) {
      const tally = this.users.get(key)!;
      arms[index] = tally.arm;
      exposed[index] = tally.exposed;
      sums.set(tally.sums, index * METRIC_COUNT * 2);
    }
    return {
      requests: [this.requests[0]!.exportState(), this.requests[1]!.exportState()],
      counts: { ...this.counts },
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      keys,
      arms,
      exposed,
      exposures: this.exposures,
      sums,
    };
  }

  /**
   * Adds what another accumulator folded (another part of the data). A user seen in both parts
   * sums its tallies; one seen in different arms is in both arms, as if folded here.
   */
  merge(state: AccumulatorState): void {
    for (const [arm, sums] of state.requests.entries()) this.requests[arm]!.merge(sums);
    this.counts.analyzed += state.counts.analyzed;
    this.counts.outsideExperiment += state.counts.outsideExperiment;
    this.counts.withoutUnit += state.counts.withoutUnit;
    this.firstTime = Math.min(this.firstTime, state.firstTime);
    this.lastTime = Math.max(this.lastTime, state.lastTime);
    const width = METRIC_COUNT * 2;
    this.exposures += state.exposures;
    for (const [index, key] of state.keys.entries()) {
      const arm = state.arms[index] as ArmCode;
      const exposed = state.exposed[index] as ArmCode;
      const sums = state.sums.subarray(index * width, (index + 1) * width);
      const tally = this.users.get(key);
      if (!tally) {
        this.users.set(key, { arm, exposed, sums: sums.slice() });
        continue;
      }
      tally.arm = joined(tally.arm, arm);
      tally.exposed = joined(tally.exposed, exposed);
      for (let at = 0; at < width; at += 1) tally.sums[at]! += sums[at]!;
    }
  }

  /** Whether every event of either arm carried a unit (so the user unit is possible). */
  get everyEventHasUnit(): boolean {
    return this.counts.analyzed > 0 && this.counts.withoutUnit === 0;
  }

  /** Users seen in both arms (left out of the user unit and of the sample-ratio test). */
  get usersInBothArms(): number {
    let count = 0;
    for (const tally of this.users.values()) if (tally.arm === BOTH_ARMS) count += 1;
    return count;
  }

  /** The sufficient statistics at a unit of analysis. */
  stats(unit: AnalysisUnit): ExperimentStats {
    const stats: ExperimentStats = {
      unit,
      arms: unit === 'request' ? this.requestMoments() : this.userMoments(),
    };
    if (unit === 'user' || this.users.size > 0) stats.units = this.unitsPerArm();
    if (this.exposures > 0) stats.exposures = this.exposuresPerArm();
    return stats;
  }

  /**
   * Exposed units per arm (exposed in both arms: left out and counted), and of them those with
   * at least one outcome in their arm: for the sample-ratio test on exposures and the
   * outcome-return rate.
   */
  private exposuresPerArm(): NonNullable<ExperimentStats['exposures']> {
    const exposures = {
      lightrag: 0,
      perplexity: 0,
      returned: { lightrag: 0, perplexity: 0 },
      in_both_arms: 0,
    };
    for (const tally of this.users.values()) {
      if (tally.exposed === BOTH_ARMS) exposures.in_both_arms += 1;
      if (tally.exposed !== 0 && tally.exposed !== 1) continue;
      const arm = tally.exposed === 0 ? 'lightrag' : 'perplexity';
      exposures[arm] += 1;
      if (tally.arm === tally.exposed) exposures.returned[arm] += 1;
    }
    return exposures;
  }

  private unitsPerArm(): Record<Arm, number> {
    const units = { lightrag: 0, perplexity: 0 };
    for (const tally of this.users.values()) {
      if (tally.arm === 0) units.lightrag += 1;
      else if (tally.arm === 1) units.perplexity += 1;
    }
    return units;
  }

  private requestMoments(): ExperimentStats['arms'] {
    return { lightrag: this.requests[0]!.snapshot(), perplexity: this.requests[1]!.snapshot() };
  }

  /**
   * Per arm and metric, the users' sums around the arm's mean per value c (its request-level
   * mean): m_i - c d_i for each user, so that the sums of squares hold the spread between
   * users rather than c's square beside it (the delta method's residuals do not move with c).
   */
  private userMoments(): ExperimentStats['arms'] {
    const empty = () =>
      OUTCOME_METRICS.map(() => ({
        n: 0,
        sum: 0,
        sum_of_squares: 0,
        denominator_sum: 0,
        denominator_sum_of_squares: 0,
        cross_sum: 0,
      }));
    const arms = [empty(), empty()];
    for (const tally of this.users.values()) {
      if (tally.arm !== 0 && tally.arm !== 1) continue;
      const arm = arms[tally.arm]!;
      const requests = this.requests[tally.arm]!;
      for (let index = 0; index < METRIC_COUNT; index += 1) {
        const d = tally.sums[index * 2 + 1]!;
        if (d === 0) continue;
        const m = tally.sums[index * 2]! - requests.meanAt(index) * d;
        const moments = arm[index]!;
        moments.n += 1;
        moments.sum += m;
        moments.sum_of_squares += m * m;
        moments.denominator_sum += d;
        moments.denominator_sum_of_squares += d * d;
        moments.cross_sum += m * d;
      }
    }
    const named = (list: ArmMoments[], requests: CentredMoments) =>
      Object.fromEntries(
        OUTCOME_METRICS.map((metric, index) => {
          const shift = requests.meanAt(index);
          return [metric, shift === 0 ? list[index]! : { ...list[index]!, shift }];
        }),
      );
    return {
      lightrag: named(arms[0]!, this.requests[0]!),
      perplexity: named(arms[1]!, this.requests[1]!),
    };
  }
}
