import { LRUCache } from 'lru-cache';
import type { Backend } from '../config/types.js';
import type { Covariates } from '../metrics/index.js';
import { unitKey } from './unit-key.js';

/** The version of the exposure record (`schema` in each line). */
export const EXPOSURE_SCHEMA_VERSION = 2;
/** The versions of the exposure record a reader accepts: 1 (no covariates) and 2. */
export type ExposureSchema = 1 | typeof EXPOSURE_SCHEMA_VERSION;

/**
 * One exposure line of the event log (schemas/outcome-event.schema.json, `#/definitions/exposure`):
 * a unit was assigned an arm of the experiment in an allocation period.
 */
export interface ExposureEvent {
  kind: 'exposure';
  schema: ExposureSchema;
  time: string;
  unit: string;
  cohort: 'lightrag' | 'perplexity';
  backend: Backend;
  /** The rollout percentage in force for the unit when it was assigned. */
  percentage: number;
  /** The allocation period: the span in which one percentage is in force ({@link allocationPeriod}). */
  period: string;
  configVersion?: string;
  /** The covariates of the decision that exposed the unit (version 2). */
  covariates?: Covariates;
}

/** The name of an allocation period: `p` and its rollout percentage. */
export type AllocationPeriod = `p${number}`;

/**
 * The allocation period in which `percentage` is in force (`p10`): the one name exposures,
 * decision tokens and every reader of them (event files, the store) use. It takes a number
 * only, so no missing percentage becomes a period (`pnull`, which matches no exposure).
 */
export function allocationPeriod(percentage: number): AllocationPeriod {
  return `p${percentage}`;
}

/**
 * How many (unit, period) pairs a process remembers to write each exposure once: about 100 bytes
 * each with the cache's bookkeeping, so about 10 MB. Beyond it the least recently seen are
 * forgotten, and a forgotten unit seen again is written again: a duplicate line, which readers
 * absorb since they count distinct units.
 */
export const EXPOSURE_MEMORY = 100_000;

/** What an exposure is made from: the decision's arm and percentage, and who it was for. */
export interface Assignment {
  cohort: string | null;
  backend: Backend;
  rolloutPercentage: number;
  configVersion: string;
  covariates?: Covariates | null;
}

/**
 * Turns assignments into exposure records, one per unit per allocation period in this process
 * (deduplicated in memory up to {@link EXPOSURE_MEMORY} pairs, least recently seen forgotten
 * first). The raw identifier is held in memory only; the record carries the pseudonymous unit.
 */
export class ExposureLedger {
  /**
   * Made on the first assignment: a cache of 100,000 entries fills its arrays when built (some
   * 8 ms, most of a router's construction), and a router with no sink that keeps exposures (the
   * CLI's `decide`, a server without an event log) never asks for one.
   */
  private seen: LRUCache<string, true> | undefined;

  constructor(private readonly memory = EXPOSURE_MEMORY) {}

  /** The exposure to write for this assignment, or null (not an arm, no identifier, or seen). */
  expose(
    assignment: Assignment,
    identifier: string | undefined,
    salt: string,
    now: number,
  ): ExposureEvent | null {
    const { cohort } = assignment;
    if ((cohort !== 'lightrag' && cohort !== 'perplexity') || identifier === undefined) return null;
    const period = allocationPeriod(assignment.rolloutPercentage);
    const key = `${period}\u0000${identifier}`;
    this.seen ??= new LRUCache({ max: this.memory });
    if (this.seen.has(key)) return null;
    this.seen.set(key, true);
    const exposure: ExposureEvent = {
      kind: 'exposure',
      schema: EXPOSURE_SCHEMA_VERSION,
      time: new Date(now).toISOString(),
      unit: unitKey(identifier, salt),
      cohort,
      backend: assignment.backend,
      percentage: assignment.rolloutPercentage,
      period,
      configVersion: assignment.configVersion,
    };
    if (assignment.covariates) exposure.covariates = assignment.covariates;
    return exposure;
  }
}
