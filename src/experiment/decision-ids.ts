/**
 * Decision ids seen while reading events, to report outcomes that repeat one (the same file read
 * twice, an outcome posted twice). Ids are kept as 64-bit fingerprints in an open-addressing
 * table of typed arrays: 16 to 32 bytes per event that carries an id, and no object per id. Two
 * different ids share a fingerprint with a probability of about n^2 / 2^65 (3e-6 at 10 million).
 */
export class DecisionIdSet {
  private table: Uint32Array;
  private mask: number;
  private used: number;

  /** An empty set, or one sent from another thread ({@link exportState}). */
  constructor(state: DecisionIdSetState = { table: new Uint32Array(2 * 1024), used: 0 }) {
    this.table = state.table;
    this.mask = state.table.length / 2 - 1;
    this.used = state.used;
  }

  /** Adds a fingerprint; false when it was there already. */
  add(high: number, low: number): boolean {
    if (high === 0 && low === 0) low = 1;
    let slot = low & this.mask;
    for (;;) {
      const at = slot * 2;
      const h = this.table[at]!;
      const l = this.table[at + 1]!;
      if (h === 0 && l === 0) break;
      if (h === high && l === low) return false;
      slot = (slot + 1) & this.mask;
    }
    this.table[slot * 2] = high;
    this.table[slot * 2 + 1] = low;
    this.used += 1;
    if (this.used * 2 > this.mask) this.grow(this.mask + 1);
    return true;
  }

  /**
   * Room for `more` fingerprints without growing: a table grown by doubling placed every id
   * again at each step, a third of checking ten million ids.
   */
  reserve(more: number): void {
    let slots = this.mask + 1;
    while ((this.used + more) * 2 > slots - 1) slots *= 2;
    if (slots > this.mask + 1) this.grow(slots / 2);
  }

  /**
   * Which of 2^`bits` equal regions of the table a fingerprint whose low half is `low` is looked
   * up from (while the table does not grow).
   */
  regionOf(low: number, bits: number): number {
    const slots = this.mask + 1;
    return (low & this.mask) >>> Math.max(0, 31 - Math.clz32(slots) - bits);
  }

  /** The set as plain data, to send to another thread (this one then holds nothing). */
  exportState(): DecisionIdSetState {
    const state = { table: this.table, used: this.used };
    this.table = new Uint32Array(2);
    this.mask = 0;
    this.used = 0;
    return state;
  }

  /** Twice `slots` slots, every fingerprint placed again. */
  private grow(slots: number): void {
    const old = this.table;
    this.table = new Uint32Array(slots * 4);
    this.mask = slots * 2 - 1;
    this.used = 0;
    for (let at = 0; at < old.length; at += 2) {
      if (old[at] !== 0 || old[at + 1] !== 0) this.add(old[at]!, old[at + 1]!);
    }
  }
}

/** A {@link DecisionIdSet} as plain data (its table is transferred, not copied). */
export interface DecisionIdSetState {
  table: Uint32Array;
  used: number;
}

/** The fingerprint of an id, in {@link FINGERPRINT} (two 32-bit halves), without allocating. */
export const FINGERPRINT = { high: 0, low: 0 };

/** Sets {@link FINGERPRINT} to `id`'s: FNV-1a and a Murmur-style mix, each over the code units. */
export function fingerprint(id: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ id.length;
  for (let index = 0; index < id.length; index += 1) {
    const unit = id.charCodeAt(index);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0x5bd1e995);
  FINGERPRINT.high = a >>> 0;
  FINGERPRINT.low = (b ^ (b >>> 15)) >>> 0;
}

/** Fingerprints in reading order with their line numbers: a worker thread's, sent back whole. */
export class FingerprintList {
  length = 0;
  private data = new Uint32Array(3 * 1024);

  push(high: number, low: number, line: number): void {
    if ((this.length + 1) * 3 > this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const at = this.length * 3;
    this.data[at] = high;
    this.data[at + 1] = low;
    this.data[at + 2] = line;
    this.length += 1;
  }

  /** The entries as one array of (high, low, line) triples, trimmed to their length. */
  export(): Uint32Array {
    return this.data.slice(0, this.length * 3);
  }
}
