import {
  byMetric,
  type CovariateData,
  UnitCovariates,
  UnitMomentsFold,
} from '../experiment/index.js';
import { type Covariates, METRIC_TABLE, metricValue, type Outcome } from '../metrics/index.js';
import type { ArmSnapshot } from './plan-state.js';

const METRIC_COUNT = METRIC_TABLE.length;

/**
 * How many units one stage's tally holds. Each unit costs its key (32 hex characters), a
 * `Float64Array` of two sums per metric and the map's bookkeeping: about 400 bytes, so about
 * 40 MB at the bound (measured by test/rollout-plan/stage-tally.test.ts). Beyond it, outcomes of
 * units not yet held are counted in `overLimit` and left out; the units held keep adding. The
 * stage is then judged on its first 100,000 units, which arrive in an order that has nothing to
 * do with their arm, so the comparison stays fair; the reading says so.
 */
export const STAGE_UNIT_LIMIT = 100_000;

/** The arm of a unit in the stage: 0 LightRAG (treatment), 1 its baseline. */
export type ArmIndex = 0 | 1;

/** One unit's record: the arm of its first exposure in the stage and its sums per metric. */
interface UnitRecord {
  arm: ArmIndex;
  /** Seen (exposed or served) in the other arm too within the stage: a multiple exposure. */
  multiple: boolean;
  /** Per metric: the sum of the unit's values and their count (m_i and d_i). */
  sums: Float64Array;
}

/** What a stage's tally counted besides the sums. */
export interface StageCounts {
  /** Units with at least one outcome in their arm, per arm. */
  units: { treatment: number; baseline: number };
  /** Units seen in both arms within the stage (a traveller, or a ramp inside the period). */
  multipleExposures: number;
  /** Units held (exposed or with outcomes), for the multiple-exposure share. */
  seen: number;
  /** Outcomes served in the arm other than the unit's first: left out (the unit stays in its first). */
  otherArmOutcomes: number;
  /** Outcomes that named no unit (anonymous): left out at the user unit. */
  withoutUnit: number;
  /** Outcomes of units beyond {@link STAGE_UNIT_LIMIT}: left out. */
  overLimit: number;
}

/** The user-level data of one stage: per-arm moments (with ratio sums) and the counts. */
export interface StageData {
  arms: ArmSnapshot;
  counts: StageCounts;
  /**
   * Per arm and metric, the units' covariate cross-products (for guardrails adjusted for the
   * queries' covariates), when any outcome in its unit's arm carried covariates.
   */
  covariates?: CovariateData;
}

/**
 * Per-unit sums of one stage (one allocation period): each unit is analysed in the arm of its
 * first exposure within the stage, as GrowthBook and the experiment report do with a first
 * exposure; outcomes it has in the other arm are left out and counted, and the unit is counted
 * as a multiple exposure (the plan's `max_multiple_exposures` check). Reset it when a stage
 * starts: its data is that stage's alone.
 */
export class StageTally {
  private readonly records = new Map<string, UnitRecord>();
  /** Each unit's covariate column sums over its outcomes in its arm (a few numbers per unit). */
  private readonly covariates = new UnitCovariates();
  private readonly counts = { otherArmOutcomes: 0, withoutUnit: 0, overLimit: 0 };

  constructor(private readonly limit = STAGE_UNIT_LIMIT) {}

  /** How many units the tally holds. */
  get size(): number {
    return this.records.size;
  }

  /** The unit was assigned `arm` (an exposure record, or a decision): its first fixes its arm. */
  expose(unit: string, arm: ArmIndex): void {
    this.recordOf(unit, arm);
  }

  /** One outcome of `unit` served in `arm`, with what its decision knew of the query. */
  add(unit: string | undefined, arm: ArmIndex, outcome: Outcome, covariates?: Covariates): void {
    if (unit === undefined) {
      this.counts.withoutUnit += 1;
      return;
    }
    const record = this.recordOf(unit, arm);
    if (!record) {
      this.counts.overLimit += 1;
      return;
    }
    if (record.arm !== arm) {
      this.counts.otherArmOutcomes += 1;
      return;
    }
    for (let index = 0; index < METRIC_COUNT; index += 1) {
      const value = metricValue(METRIC_TABLE[index]!, outcome);
      if (value === undefined) continue;
      record.sums[index * 2]! += value;
      record.sums[index * 2 + 1]! += 1;
    }
    if (covariates) this.covariates.add(unit, covariates);
  }

  private recordOf(unit: string, arm: ArmIndex): UnitRecord | undefined {
    let record = this.records.get(unit);
    if (record) {
      if (record.arm !== arm) record.multiple = true;
      return record;
    }
    if (this.records.size >= this.limit) return undefined;
    record = { arm, multiple: false, sums: new Float64Array(METRIC_COUNT * 2) };
    this.records.set(unit, record);
    return record;
  }

  /** The stage's user-level moments per arm and what was counted. */
  data(): StageData {
    const { design } = this.covariates;
    const width = this.covariates.any ? design.names.length : 0;
    const fold = new UnitMomentsFold(undefined, width);
    let multipleExposures = 0;
    for (const [unit, record] of this.records) {
      if (record.multiple) multipleExposures += 1;
      fold.add(record.arm, record.sums, width > 0 ? this.covariates.of(unit) : undefined);
    }
    const zeros = () => METRIC_TABLE.map(() => 0);
    return {
      ...(width > 0
        ? {
            covariates: {
              unit: 'user',
              columns: [...design.names],
              dropped_levels: design.droppedLevels,
              shifts: [zeros(), zeros()],
              arms: fold.covariates,
            },
          }
        : {}),
      arms: { treatment: byMetric(fold.arms[0]), baseline: byMetric(fold.arms[1]) },
      counts: {
        units: { treatment: fold.units[0], baseline: fold.units[1] },
        multipleExposures,
        seen: this.records.size,
        ...this.counts,
      },
    };
  }
}
