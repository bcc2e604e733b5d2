import { UNIT_KEY_BYTES, unitKey } from './unit-key.js';

/**
 * The longest user id a ledger slot keeps as its characters: a UUID is 36. A longer id, or one
 * with a character above U+00FF, is hashed when its decision is issued instead.
 */
export const KEPT_ID_CHARACTERS = 48;
/** Salts a ledger tells apart by index; past this, ids under a new salt are hashed at once. */
const MAX_SALTS = 255;

/**
 * The user of each slot of a {@link DecisionLedger}, in typed arrays (nothing for the collector
 * to trace): either the user id's characters and the salt's index, whose unit key is hashed only
 * when an outcome asks for it, or the key's 128 bits when it was hashed already (a decision token
 * carries it, or the id does not fit). Most decisions never get an outcome, so the SHA-256 of
 * the unit key is mostly not made; the key an outcome sees is the same either way.
 */
export class LedgerUsers {
  /** Per slot: the id's characters (one byte each) or the unit key's bytes. */
  private readonly bytes: Uint8Array;
  /** Per slot: the id's length in characters. */
  private readonly lengths: Uint8Array;
  /** Per slot: the index in {@link salts} of the id's salt. */
  private readonly saltIndexes: Uint8Array;
  private readonly salts: string[] = [];
  private lastSalt = -1;

  constructor(size: number) {
    this.bytes = new Uint8Array(size * KEPT_ID_CHARACTERS);
    this.lengths = new Uint8Array(size);
    this.saltIndexes = new Uint8Array(size);
  }

  /** Keeps `id` under `salt` in `slot`, to be hashed when asked; false if it does not fit. */
  keepId(slot: number, id: string, salt: string): boolean {
    if (id.length > KEPT_ID_CHARACTERS) return false;
    const saltIndex = this.indexOf(salt);
    if (saltIndex < 0) return false;
    const at = slot * KEPT_ID_CHARACTERS;
    for (let index = 0; index < id.length; index += 1) {
      const code = id.charCodeAt(index);
      if (code > 0xff) return false;
      this.bytes[at + index] = code;
    }
    this.lengths[slot] = id.length;
    this.saltIndexes[slot] = saltIndex;
    return true;
  }

  /** Keeps a unit digest (`unitDigest`, one character a byte) in `slot`; its first 16 bytes. */
  keepDigest(slot: number, digest: string): void {
    const at = slot * KEPT_ID_CHARACTERS;
    for (let byte = 0; byte < UNIT_KEY_BYTES; byte += 1)
      this.bytes[at + byte] = digest.charCodeAt(byte);
  }

  /** The unit key of the id kept in `slot` by {@link keepId}. */
  unitOfId(slot: number): string {
    const at = slot * KEPT_ID_CHARACTERS;
    // latin1 reads each byte as the character of that code, as keepId wrote it.
    const id = Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset + at,
      this.lengths[slot],
    ).toString('latin1');
    return unitKey(id, this.salts[this.saltIndexes[slot]!]!);
  }

  /** The unit key of the digest kept in `slot` by {@link keepDigest}. */
  unitOfDigest(slot: number): string {
    const at = this.bytes.byteOffset + slot * KEPT_ID_CHARACTERS;
    return Buffer.from(this.bytes.buffer, at, UNIT_KEY_BYTES).toString('hex');
  }

  /** The index of `salt`, added if new; -1 once {@link MAX_SALTS} are known. */
  private indexOf(salt: string): number {
    if (this.lastSalt >= 0 && this.salts[this.lastSalt] === salt) return this.lastSalt;
    let index = this.salts.indexOf(salt);
    if (index < 0) {
      if (this.salts.length === MAX_SALTS) return -1;
      index = this.salts.push(salt) - 1;
    }
    this.lastSalt = index;
    return index;
  }
}
