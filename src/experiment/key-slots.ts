/**
 * The 32-bit hash of a user's key (unsigned): FNV-1a over its code units, then MurmurHash3's
 * finaliser, so that both its low bits (which thread owns the user) and its high bits (where
 * {@link KeySlots} looks the key up) follow every character.
 */
export function keyHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** Slots of the smallest table: a power of two. */
const FIRST_CAPACITY = 1024;

/**
 * Keys numbered 0, 1, 2, ... in the order they are first seen, looked up by their
 * {@link keyHash} in an open-addressing table of (hash, slot) pairs in one typed array. A `Map`
 * of a million user keys was a fifth of reading an event log (one lookup per event, each
 * through the map's buckets, its entry and the key's string); here a probe reads one pair and
 * compares the strings only when the hashes agree, and the hash is the one that already chose
 * the user's thread.
 */
export class KeySlots {
  /** The keys, by slot. */
  readonly keys: string[] = [];
  /** Per table position: the key's hash, then its slot + 1 (0: empty). */
  private table = new Uint32Array(2 * FIRST_CAPACITY);
  /** A hash's first position is its top bits: `hash >>> shift`. */
  private shift = 32 - Math.log2(FIRST_CAPACITY);
  /** Keys of slots below this are in the table; those of {@link appendUnindexed} may not be yet. */
  private indexed = 0;

  /** Keys numbered. */
  get size(): number {
    return this.keys.length;
  }

  /** The slot of `key` (whose {@link keyHash} is `hash`), numbered next when it is new. */
  slotOf(key: string, hash: number): number {
    if (this.indexed < this.keys.length) this.indexRest();
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    let position = hash >>> this.shift;
    for (;;) {
      const at = position * 2;
      const slotPlusOne = table[at + 1]!;
      if (slotPlusOne === 0) break;
      if (table[at] === hash && this.keys[slotPlusOne - 1] === key) return slotPlusOne - 1;
      position = (position + 1) & mask;
    }
    const slot = this.keys.length;
    this.keys.push(key);
    this.indexed += 1;
    table[position * 2] = hash;
    table[position * 2 + 1] = slot + 1;
    if (this.keys.length * 2 > mask) this.grow();
    return slot;
  }

  /**
   * Numbers keys known to be new here (another thread's users) after these, without looking
   * them up: they enter the table only if a later {@link slotOf} needs it.
   */
  appendUnindexed(keys: readonly string[]): void {
    for (const key of keys) this.keys.push(key);
  }

  private indexRest(): void {
    const from = this.indexed;
    this.indexed = this.keys.length;
    while (this.table.length >>> 1 < this.keys.length * 2) this.grow();
    for (let slot = from; slot < this.keys.length; slot += 1) {
      this.place(keyHash(this.keys[slot]!), slot);
    }
  }

  /** Twice the positions, every key placed again. */
  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.shift -= 1;
    for (let at = 0; at < old.length; at += 2) {
      if (old[at + 1] !== 0) this.place(old[at]!, old[at + 1]! - 1);
    }
  }

  /** Puts `slot` at the first free position of `hash` (the key is known not to be there). */
  private place(hash: number, slot: number): void {
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    let position = hash >>> this.shift;
    while (table[position * 2 + 1] !== 0) position = (position + 1) & mask;
    table[position * 2] = hash;
    table[position * 2 + 1] = slot + 1;
  }
}
