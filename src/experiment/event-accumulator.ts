import { CentredMoments, METRIC_TABLE, metricValue, OUTCOME_METRICS } from '../metrics/index.js';
import type { OutcomeEvent } from '../outcomes/index.js';
import type { AccumulatorState, EventCounts } from './accumulator-state.js';
import type { ArmMoments } from './arm-moments.js';
import { unitCovariateVectors } from './capped-covariates.js';
import { UnitCovariates } from './covariate-design.js';
import { eventTime } from './event-time.js';
import type { AnalysisUnit, ExperimentStats, OutcomeGroup } from './experiment-data.js';
import { keyHash } from './key-slots.js';
import { type TailData, TailFold } from './tail-values.js';
import { byMetric, UnitMomentsFold } from './unit-moments.js';
import type { UserShareSink } from './user-exchange.js';
import { TALLY_WIDTH, UserTallies } from './user-tallies.js';
import type { CovariateData } from './variance-reduction.js';

const METRIC_COUNT = METRIC_TABLE.length;

export type { AccumulatorState, EventCounts } from './accumulator-state.js';

/**
 * Folds outcome events into the sufficient statistics of both units of analysis in one pass:
 * constant memory for the request unit, one small record per user for the user unit. Event
 * order does not matter.
 */
export class EventAccumulator {
  /** Request-level moments per arm (lightrag, perplexity), centred on their means (Welford). */
  private readonly requests = [new CentredMoments(), new CentredMoments()];
  private readonly users = new UserTallies();
  /** Each user's covariate column sums (lines that carry covariates). */
  readonly covariates = new UnitCovariates();
  /** The heavy-tailed metrics' values with their users (for capping and the tail test). */
  private readonly tails = new TailFold();
  readonly counts: EventCounts = { analyzed: 0, outsideExperiment: 0, withoutUnit: 0 };
  /** Exposure records folded (duplicates included). */
  exposures = 0;
  /** Earliest and latest event time (ms since the epoch), for rates. */
  firstTime = Number.POSITIVE_INFINITY;
  lastTime = Number.NEGATIVE_INFINITY;

  /**
   * Where the users' shares of events go: this accumulator's own tallies, or, while a file is
   * read by several threads, a `UserExchange` that sends those of other threads' users there.
   */
  private userSink: UserShareSink = this.ownUsers();
  /** One event's metric values (NaN for none), refilled per event. */
  private readonly values = new Float64Array(METRIC_COUNT);

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
    const moments = this.requests[arm]!;
    const values = this.values;
    for (let index = 0; index < METRIC_COUNT; index += 1) {
      const value = metricValue(METRIC_TABLE[index]!, event);
      values[index] = value ?? Number.NaN;
      if (value === undefined) continue;
      moments.addAt(index, value);
      if (key === undefined) this.tails.addAt(index, -1, arm, value);
    }
    if (key === undefined) this.counts.withoutUnit += 1;
    else {
      // Covariates stay with the thread that read the line (merged by key): their design's
      // columns then come in the order the file gives their levels, as on one thread.
      if (event.covariates) this.covariates.add(key, event.covariates);
      this.userSink.outcome(key, keyHash(key), arm, values, 0);
    }
  }

  /**
   * Sends the users' shares of the events added from now on to `sink` (a `UserExchange`
   * that owns some users here and sends the others' away), or back to this accumulator's own
   * tallies when undefined.
   */
  routeUsers(sink: UserShareSink | undefined): void {
    this.userSink = sink ?? this.ownUsers();
  }

  /** This accumulator's own user tallies, as a sink of users' shares. */
  ownUsers(): UserShareSink {
    return {
      outcome: (key, hash, arm, values, from) => {
        const slot = this.users.tally(key, arm, hash);
        const at = slot * TALLY_WIDTH;
        const sums = this.users.sums;
        for (let index = 0; index < METRIC_COUNT; index += 1) {
          const value = values[from + index]!;
          if (Number.isNaN(value)) continue;
          this.tails.addAt(index, slot, arm, value);
          sums[at + index * 2]! += value;
          sums[at + index * 2 + 1]! += 1;
        }
      },
      exposure: (key, hash, arm) => {
        this.exposures += 1;
        this.users.expose(key, arm, hash);
      },
    };
  }

  /** Adds a group of outcomes summed elsewhere (one unit in one arm, or an arm's without a unit). */
  addGroup(group: OutcomeGroup): void {
    this.counts.analyzed += group.events;
    this.tails.addSums();
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
    if (group.unit === null) {
      this.counts.withoutUnit += group.events;
      return;
    }
    const at = this.users.tally(group.unit, arm) * TALLY_WIDTH;
    const sums = this.users.sums;
    for (let index = 0; index < METRIC_COUNT; index += 1) {
      sums[at + index * 2]! += group.sums[index]!;
      sums[at + index * 2 + 1]! += group.counts[index]!;
    }
  }

  /** Adds outcomes outside the experiment (cohort `control`), counted only. */
  addOutsideExperiment(count: number): void {
    this.counts.outsideExperiment += count;
  }

  /** Adds one exposure record: the unit was assigned `cohort` (counted once per unit). */
  addExposure(exposure: { unit: string; cohort: 'lightrag' | 'perplexity' }): void {
    const key = exposure.unit;
    this.userSink.exposure(key, keyHash(key), exposure.cohort === 'lightrag' ? 0 : 1);
  }

  /** Everything folded so far, as plain data a worker thread can send back (see {@link merge}). */
  exportState(): AccumulatorState {
    const size = this.users.size;
    const keys = [...this.users.keys];
    const arms = this.users.arms.slice(0, size);
    const exposed = this.users.exposed.slice(0, size);
    const sums = this.users.sums.slice(0, size * TALLY_WIDTH);
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
      covariates: this.covariates.exportState(),
      tails: this.tails.exportState(),
    };
  }

  /**
   * Adds what another accumulator folded (another part of the data). A user seen in both parts
   * sums its tallies; one seen in different arms is in both arms, as if folded here.
   */
  merge(state: AccumulatorState): void {
    this.mergeRequests(state);
    this.tails.merge(
      state.tails,
      this.users.merge(state.keys, state.arms, state.exposed, state.sums),
    );
  }

  /**
   * {@link merge} for an accumulator none of whose users is here (another thread's part of a file
   * whose users were shared out by owner): its users are added after these without a lookup.
   */
  mergeDisjoint(state: AccumulatorState): void {
    this.mergeRequests(state);
    const first = this.users.appendDisjoint(state.keys, state.arms, state.exposed, state.sums);
    this.tails.merge(state.tails, first);
  }

  /** What merging adds besides the users' tallies and values. */
  private mergeRequests(state: AccumulatorState): void {
    for (const [arm, sums] of state.requests.entries()) this.requests[arm]!.merge(sums);
    this.counts.analyzed += state.counts.analyzed;
    this.counts.outsideExperiment += state.counts.outsideExperiment;
    this.counts.withoutUnit += state.counts.withoutUnit;
    this.firstTime = Math.min(this.firstTime, state.firstTime);
    this.lastTime = Math.max(this.lastTime, state.lastTime);
    this.exposures += state.exposures;
    this.covariates.merge(state.covariates);
  }

  /** The heavy-tailed metrics' values per arm at `unit`; null when sums came without them. */
  tailData(unit: AnalysisUnit): TailData | null {
    return this.tails.data(unit, this.users.arms);
  }

  /** Whether every event of either arm carried a unit (so the user unit is possible). */
  get everyEventHasUnit(): boolean {
    return this.counts.analyzed > 0 && this.counts.withoutUnit === 0;
  }

  /** Users with a tally here (outcomes or exposures). */
  get usersTallied(): number {
    return this.users.size;
  }

  /** Users seen in both arms (left out of the user unit and of the sample-ratio test). */
  get usersInBothArms(): number {
    return this.users.inBothArms();
  }

  /** The sufficient statistics at a unit of analysis. */
  stats(unit: AnalysisUnit): ExperimentStats {
    const stats: ExperimentStats = {
      unit,
      arms: unit === 'request' ? this.requestMoments() : this.userMoments(),
    };
    if (unit === 'user' || this.users.size > 0) stats.units = this.users.perArm();
    if (this.exposures > 0) stats.exposures = this.users.exposuresPerArm();
    return stats;
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
    const shifts = this.shifts();
    const fold = this.userFold(shifts, false);
    const named = (list: ArmMoments[], shift: readonly number[]) =>
      byMetric(
        list.map((moments, index) =>
          shift[index] === 0 ? moments : { ...moments, shift: shift[index]! },
        ),
      );
    return { lightrag: named(fold.arms[0], shifts[0]), perplexity: named(fold.arms[1], shifts[1]) };
  }
  /** Per arm and metric, the arm's request mean: what the users' sums are taken around. */
  private shifts(): [number[], number[]] {
    return this.requests.map((requests) =>
      OUTCOME_METRICS.map((_, index) => requests.meanAt(index)),
    ) as [number[], number[]];
  }

  /** Every user of one arm folded (with the covariates' cross-products when asked). */
  private userFold(shifts: [number[], number[]], covariates: boolean): UnitMomentsFold {
    const width = covariates ? this.covariates.design.names.length : 0;
    const fold = new UnitMomentsFold(shifts, width);
    const { arms, sums, size, keys } = this.users;
    for (let slot = 0; slot < size; slot += 1) {
      const arm = arms[slot];
      if (arm !== 0 && arm !== 1) continue;
      const covariates = width > 0 ? this.covariates.of(keys[slot]!) : undefined;
      fold.add(arm, sums, covariates, slot * TALLY_WIDTH);
    }
    return fold;
  }

  /**
   * The users' covariate cross-products per arm and metric, around the same shifts as their
   * moments, for regression adjustment; null when no line carried covariates.
   */
  userCovariates(): CovariateData | null {
    if (!this.covariates.any) return null;
    const shifts = this.shifts();
    const fold = this.userFold(shifts, true);
    const data: CovariateData = {
      unit: 'user',
      columns: [...this.covariates.design.names],
      dropped_levels: this.covariates.design.droppedLevels,
      shifts,
      arms: fold.covariates,
    };
    if (this.tails.keepsValues) data.units = unitCovariateVectors(this.users, this.covariates);
    return data;
  }
}
