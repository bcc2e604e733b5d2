import { isTailMetric, METRIC_TABLE, TAIL_METRICS, type TailMetric } from '../metrics/index.js';
import type { AnalysisUnit } from './experiment-data.js';

/** One arm's values of a heavy-tailed metric, each with its cluster (its user, or itself). */
export interface ArmValues {
  /** Clusters (users at the user unit, values at the request unit). */
  clusters: number;
  /** Each value's cluster, 0 .. clusters - 1. */
  clusterOf: Int32Array;
  /** The values, in the metric's unit (seconds, dollars). */
  values: Float64Array;
  /**
   * At the user unit from an accumulator, each cluster's user slot: where a metric capped after
   * the pass finds the user's covariates (see `UnitCovariateVectors`).
   */
  slots?: Int32Array;
}

/**
 * The values of the heavy-tailed metrics per arm, at a unit of analysis: what capping and the
 * tail test need beyond sums (a cap is a quantile of the arm's values, and a user's capped sum
 * is known only from the user's values). Only sources that keep values have it (the event log).
 */
export interface TailData {
  unit: AnalysisUnit;
  metrics: Record<TailMetric, [ArmValues, ArmValues]>;
}

/** The values of one metric as folded: per value, its user's slot (-1: none) and arm. */
export interface TailValuesState {
  slots: Int32Array;
  arms: Int8Array;
  values: Float64Array;
}

/**
 * Values of one metric folded elsewhere (another thread's), kept as they came: their slots are
 * this fold's plus `offset` (-1 stays: no unit).
 */
interface Segment extends TailValuesState {
  length: number;
  offset: number;
}

/**
 * Every value of one heavy-tailed metric with its user's slot and its arm, in growable typed
 * arrays (16 bytes a value): a user's values are needed after the pass, when the arm's cap and
 * the users' arms are known. Another fold's values are kept in their own arrays: copying five
 * million values of each metric into these (and growing them to fit) was most of a second after
 * reading ten million events.
 */
export class TailValues {
  private slots = new Int32Array(1024);
  private arms = new Int8Array(1024);
  private values = new Float64Array(1024);
  private length = 0;
  private merged: Segment[] = [];

  /** Adds one value of a user's slot (-1: no unit) in arm 0 or 1. */
  add(slot: number, arm: 0 | 1, value: number): void {
    if (this.length === this.values.length) this.grow();
    this.slots[this.length] = slot;
    this.arms[this.length] = arm;
    this.values[this.length] = value;
    this.length += 1;
  }

  /** Twice the room. */
  private grow(): void {
    const capacity = this.values.length * 2;
    const slots = new Int32Array(capacity);
    slots.set(this.slots);
    const arms = new Int8Array(capacity);
    arms.set(this.arms);
    const values = new Float64Array(capacity);
    values.set(this.values);
    [this.slots, this.arms, this.values] = [slots, arms, values];
  }

  /** The values folded so far, as they are: later ones go past its length, or to new arrays. */
  view(): TailValues {
    const view = new TailValues();
    view.slots = this.slots;
    view.arms = this.arms;
    view.values = this.values;
    view.length = this.length;
    view.merged = [...this.merged];
    return view;
  }

  /** This fold's values and those merged, each with the offset of its slots. */
  private segments(): Segment[] {
    const own = { slots: this.slots, arms: this.arms, values: this.values };
    return [{ ...own, length: this.length, offset: 0 }, ...this.merged];
  }

  /** What was folded, as plain data. */
  exportState(): TailValuesState {
    const segments = this.segments();
    const total = segments.reduce((sum, segment) => sum + segment.length, 0);
    const state = {
      slots: new Int32Array(total),
      arms: new Int8Array(total),
      values: new Float64Array(total),
    };
    let at = 0;
    for (const { slots, arms, values, length, offset } of segments) {
      state.arms.set(arms.subarray(0, length), at);
      state.values.set(values.subarray(0, length), at);
      for (let index = 0; index < length; index += 1) {
        const slot = slots[index]!;
        state.slots[at + index] = slot < 0 ? -1 : slot + offset;
      }
      at += length;
    }
    return state;
  }

  /**
   * Adds another fold's values (its arrays are kept, not copied), its slots moved to this fold's:
   * by `slotOf[theirs]`, or, for users appended after these, by adding the first one's slot.
   */
  merge(state: TailValuesState, slotOf: Int32Array | number): void {
    const length = state.values.length;
    if (typeof slotOf === 'number') {
      this.merged.push({ ...state, length, offset: slotOf });
      return;
    }
    const slots = new Int32Array(length);
    for (let index = 0; index < length; index += 1) {
      const slot = state.slots[index]!;
      slots[index] = slot < 0 ? -1 : slotOf[slot]!;
    }
    this.merged.push({ ...state, slots, length, offset: 0 });
  }

  /**
   * The arms' values at a unit: at the user unit only those of users in one arm (`userArms`
   * by slot), clustered by user, clusters numbered in the order their first value comes (and
   * each cluster's slot, where a metric capped after the pass finds the user's covariates); at
   * the request unit every value, each its own cluster. Two passes over the values for both arms:
   * one over their arms alone to size typed arrays, one to fill them (cut to what the user unit
   * kept); a map of slot to cluster and arrays of numbers grown per value were most of a
   * report's time after reading ten million events, and a sizing pass that looked up each
   * value's user 0.35 s of it.
   */
  armValues(unit: AnalysisUnit, userArms: Int8Array): [ArmValues, ArmValues] {
    const perUser = unit === 'user';
    const segments = this.segments();
    const counts = [0, 0];
    for (const { arms, length } of segments) {
      for (let index = 0; index < length; index += 1) counts[arms[index]!]! += 1;
    }
    const kept = counts.map((count) => ({
      clusters: 0,
      clusterOf: new Int32Array(count),
      values: new Float64Array(count),
      slots: new Int32Array(perUser ? count : 0),
    }));
    // A user is in one arm at the user unit, so one array of clusters by slot serves both.
    const clusterOfSlot = perUser ? new Int32Array(userArms.length).fill(-1) : undefined;
    const filled = [0, 0];
    for (const { slots, arms, values, length, offset } of segments) {
      for (let index = 0; index < length; index += 1) {
        const arm = arms[index]!;
        const slot = slots[index]! < 0 ? -1 : slots[index]! + offset;
        // At the user unit, only values of users in that arm alone.
        if (perUser && (slot < 0 || userArms[slot] !== arm)) continue;
        const into = kept[arm]!;
        const at = filled[arm]!;
        filled[arm] = at + 1;
        if (clusterOfSlot === undefined) into.clusterOf[at] = at;
        else {
          if (clusterOfSlot[slot] === -1) {
            clusterOfSlot[slot] = into.clusters;
            into.slots[into.clusters] = slot;
            into.clusters += 1;
          }
          into.clusterOf[at] = clusterOfSlot[slot]!;
        }
        into.values[at] = values[index]!;
      }
    }
    const cut = (arm: 0 | 1): ArmValues => {
      const into = kept[arm]!;
      const length = filled[arm]!;
      const values: ArmValues = {
        clusters: perUser ? into.clusters : length,
        clusterOf: into.clusterOf.subarray(0, length),
        values: into.values.subarray(0, length),
      };
      if (perUser) values.slots = into.slots.slice(0, into.clusters);
      return values;
    };
    return [cut(0), cut(1)];
  }
}

/** One {@link TailValues} per tail metric. */
function emptyTails(): Record<TailMetric, TailValues> {
  return Object.fromEntries(TAIL_METRICS.map((metric) => [metric, new TailValues()])) as Record<
    TailMetric,
    TailValues
  >;
}

/** Per metric index of the table, its name when it is a tail metric, else null. */
const TAIL_OF = METRIC_TABLE.map((spec) => (isTailMetric(spec.name) ? spec.name : null));

/** What a {@link TailFold} folded, as plain data for worker threads. */
export interface TailFoldState {
  /** Per tail metric, in {@link TAIL_METRICS}' order. */
  values: TailValuesState[];
  complete: boolean;
}

/**
 * The tail metrics' values of an accumulator: kept beside its sums, merged with them, and given
 * per arm at a unit once the users' arms are known.
 */
export class TailFold {
  private readonly tails = emptyTails();
  /** False once sums without values were added: the values then miss those outcomes. */
  private complete = true;

  /** Adds the value of the metric at table index `index`, if it is a tail metric. */
  addAt(index: number, slot: number, arm: 0 | 1, value: number): void {
    const metric = TAIL_OF[index];
    if (metric) this.tails[metric].add(slot, arm, value);
  }

  /** Records that outcomes were added as sums, without their values. */
  addSums(): void {
    this.complete = false;
  }

  /** Whether every outcome's values were kept (no sums were added without them). */
  get keepsValues(): boolean {
    return this.complete;
  }

  exportState(): TailFoldState {
    return {
      values: TAIL_METRICS.map((metric) => this.tails[metric].exportState()),
      complete: this.complete,
    };
  }

  /** Adds another fold's state, its user slots moved to this fold's (see {@link TailValues.merge}). */
  merge(state: TailFoldState, slotOf: Int32Array | number): void {
    this.complete &&= state.complete;
    for (const [index, metric] of TAIL_METRICS.entries())
      this.tails[metric].merge(state.values[index]!, slotOf);
  }

  /**
   * The values per arm at `unit` (users' arms by slot); null when some came as sums only. Each
   * metric's arrays are built when first read: the tail test reads response time's, capping
   * those of the metrics it caps, and building a metric's nobody reads was a fifth of a report
   * after reading ten million events. They are the values folded when this is called (views of
   * the arrays, which later values are written past, and a copy of the users' arms).
   */
  data(unit: AnalysisUnit, userArms: Int8Array): TailData | null {
    if (!this.complete) return null;
    const arms = userArms.slice();
    const metrics = {} as TailData['metrics'];
    for (const metric of TAIL_METRICS) {
      const folded = this.tails[metric].view();
      let built: [ArmValues, ArmValues] | undefined;
      Object.defineProperty(metrics, metric, {
        enumerable: true,
        get: () => {
          built ??= folded.armValues(unit, arms);
          return built;
        },
      });
    }
    return { unit, metrics };
  }
}
