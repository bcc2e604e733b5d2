import { METRIC_TABLE } from '../metrics/index.js';
import type { Arm, ExperimentStats } from './experiment-data.js';
import { KeySlots, keyHash } from './key-slots.js';

/** Per user: per metric m (sum of values) and d (count of values). */
export const TALLY_WIDTH = METRIC_TABLE.length * 2;

/** A user seen in both arms: dropped from user-level analysis, as gbstats drops multiple exposures. */
export const BOTH_ARMS = -1;
/** No outcome (or no exposure) seen for the user yet. */
export const NONE = -2;

/** The arm of a user's outcomes or exposures: 0 lightrag, 1 perplexity, or one of the above. */
export type ArmCode = 0 | 1 | typeof BOTH_ARMS | typeof NONE;

/** The arm code a tally has after also being seen in `arm`. */
export const joined = (was: ArmCode, arm: ArmCode): ArmCode =>
  was === NONE || was === arm ? arm : arm === NONE ? was : BOTH_ARMS;

/**
 * Every user's running sums and arms, in flat typed arrays indexed by the user's slot: one map
 * entry (key to slot, see {@link KeySlots}) per user and no object of its own. With an object and a Float64Array per
 * user, a million users were two million allocations, and their collection a seventh of
 * reading an event log.
 */
export class UserTallies {
  private readonly index = new KeySlots();
  /** The arm of each slot's outcomes. */
  arms = new Int8Array(1024);
  /** The arm of each slot's exposure records. */
  exposed = new Int8Array(1024);
  /** Each slot's sums, {@link TALLY_WIDTH} numbers from `slot * TALLY_WIDTH`. */
  sums = new Float64Array(1024 * TALLY_WIDTH);

  /** The users' keys, by slot. */
  get keys(): readonly string[] {
    return this.index.keys;
  }

  /** Users tallied. */
  get size(): number {
    return this.index.size;
  }

  /** The slot of the user `key` (`hash`: its {@link keyHash}), made (no arm, sums 0) when new. */
  slotOf(key: string, hash = keyHash(key)): number {
    const size = this.index.size;
    const slot = this.index.slotOf(key, hash);
    if (slot === size) {
      if (slot === this.arms.length) this.grow(slot + 1);
      this.arms[slot] = NONE;
      this.exposed[slot] = NONE;
    }
    return slot;
  }

  /** The slot of user `key`, its outcomes' arm joined with `arm`. */
  tally(key: string, arm: 0 | 1, hash = keyHash(key)): number {
    const slot = this.slotOf(key, hash);
    this.arms[slot] = joined(this.arms[slot] as ArmCode, arm);
    return slot;
  }

  /** Records that user `key` was exposed to `arm`. */
  expose(key: string, arm: 0 | 1, hash = keyHash(key)): void {
    const slot = this.slotOf(key, hash);
    this.exposed[slot] = joined(this.exposed[slot] as ArmCode, arm);
  }

  /**
   * Adds users known to be new here (another thread's, which owned them): their tallies are
   * copied after this one's, and their keys are looked up only if a later {@link slotOf} needs
   * them, since a map of a million keys is what merging used to cost. Returns the first slot.
   */
  appendDisjoint(
    keys: readonly string[],
    arms: Int8Array,
    exposed: Int8Array,
    sums: Float64Array,
  ): number {
    const first = this.size;
    if (first + keys.length > this.arms.length) this.grow(first + keys.length);
    this.index.appendUnindexed(keys);
    this.arms.set(arms.subarray(0, keys.length), first);
    this.exposed.set(exposed.subarray(0, keys.length), first);
    this.sums.set(sums.subarray(0, keys.length * TALLY_WIDTH), first * TALLY_WIDTH);
    return first;
  }

  /**
   * Adds another instance's users (by key: a user here too sums its tallies, and one seen in
   * different arms is in both); returns each of theirs' slot here.
   */
  merge(
    keys: readonly string[],
    arms: Int8Array,
    exposed: Int8Array,
    sums: Float64Array,
  ): Int32Array {
    const slotOf = new Int32Array(keys.length);
    for (const [index, key] of keys.entries()) {
      const slot = this.slotOf(key);
      slotOf[index] = slot;
      this.arms[slot] = joined(this.arms[slot] as ArmCode, arms[index] as ArmCode);
      this.exposed[slot] = joined(this.exposed[slot] as ArmCode, exposed[index] as ArmCode);
      const at = slot * TALLY_WIDTH;
      const from = index * TALLY_WIDTH;
      for (let offset = 0; offset < TALLY_WIDTH; offset += 1) {
        this.sums[at + offset]! += sums[from + offset]!;
      }
    }
    return slotOf;
  }

  /** Users seen in both arms (left out of the user unit and of the sample-ratio test). */
  inBothArms(): number {
    let count = 0;
    for (let slot = 0; slot < this.size; slot += 1) if (this.arms[slot] === BOTH_ARMS) count += 1;
    return count;
  }

  /** Users with outcomes in one arm only, per arm. */
  perArm(): Record<Arm, number> {
    const units = { lightrag: 0, perplexity: 0 };
    for (let slot = 0; slot < this.size; slot += 1) {
      if (this.arms[slot] === 0) units.lightrag += 1;
      else if (this.arms[slot] === 1) units.perplexity += 1;
    }
    return units;
  }

  /**
   * Exposed units per arm (exposed in both arms: left out and counted), and of them those with
   * at least one outcome in their arm: for the sample-ratio test on exposures and the
   * outcome-return rate.
   */
  exposuresPerArm(): NonNullable<ExperimentStats['exposures']> {
    const exposures = {
      lightrag: 0,
      perplexity: 0,
      returned: { lightrag: 0, perplexity: 0 },
      in_both_arms: 0,
    };
    const { arms, exposed } = this;
    for (let slot = 0; slot < this.size; slot += 1) {
      if (exposed[slot] === BOTH_ARMS) exposures.in_both_arms += 1;
      if (exposed[slot] !== 0 && exposed[slot] !== 1) continue;
      const arm = exposed[slot] === 0 ? 'lightrag' : 'perplexity';
      exposures[arm] += 1;
      if (arms[slot] === exposed[slot]) exposures.returned[arm] += 1;
    }
    return exposures;
  }

  /** Room for at least `slots` users (capacity doubled until it fits). */
  private grow(slots: number): void {
    let capacity = this.arms.length * 2;
    while (capacity < slots) capacity *= 2;
    const arms = new Int8Array(capacity);
    arms.set(this.arms);
    this.arms = arms;
    const exposed = new Int8Array(capacity);
    exposed.set(this.exposed);
    this.exposed = exposed;
    const sums = new Float64Array(capacity * TALLY_WIDTH);
    sums.set(this.sums);
    this.sums = sums;
  }
}
