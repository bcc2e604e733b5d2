import { hash } from 'node:crypto';

/**
 * A user's pseudonymous unit key for the outcome event log: the first 32 hex digits of
 * sha256("unit:" + salt + ":" + userId). Stable while the salt is, the same on every instance,
 * and not the cohort hash (whose last 8 digits give the bucket), so a log reader learns neither
 * the user id nor the bucket. Without the salt the key cannot be traced back to a user.
 */
export function unitKey(userId: string, salt: string): string {
  return hash('sha256', `unit:${salt}:${userId}`, 'hex').slice(0, 32);
}
