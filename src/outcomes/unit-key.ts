import { hash } from 'node:crypto';

/** The bytes of a unit key: 128 bits, the first half of the SHA-256 digest. */
export const UNIT_KEY_BYTES = 16;

/**
 * The digest a user's unit key is the first {@link UNIT_KEY_BYTES} bytes of: sha256("unit:" +
 * salt + ":" + userId), one character a byte ('binary', latin1: the form Node returns fastest, a
 * third of the time of a Buffer), for a ledger that keeps the bytes, not the text.
 */
export function unitDigest(userId: string, salt: string): string {
  return hash('sha256', `unit:${salt}:${userId}`, 'binary');
}

/** The unit key (see {@link unitKey}) of a digest from {@link unitDigest}. */
export function unitKeyOfDigest(digest: string): string {
  return Buffer.from(digest.slice(0, UNIT_KEY_BYTES), 'latin1').toString('hex');
}

/**
 * A user's pseudonymous unit key for the outcome event log: the first 32 hex digits of
 * sha256("unit:" + salt + ":" + userId). Stable while the salt is, the same on every instance,
 * and not the cohort hash (whose last 8 digits give the bucket), so a log reader learns neither
 * the user id nor the bucket. Without the salt the key cannot be traced back to a user.
 */
export function unitKey(userId: string, salt: string): string {
  return hash('sha256', `unit:${salt}:${userId}`, 'hex').slice(0, 32);
}
