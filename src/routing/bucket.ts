import { createHash } from 'node:crypto';

const MAX_SUFFIX = 0xffffffff; // 16 ** 8 - 1

/**
 * A user's position in [0, 100], the Python system's formula to the last bit:
 * `int(sha256(f"{identifier}:{salt}".encode()).hexdigest()[-8:], 16) / (16**8 - 1) * 100`.
 */
export function userBucket(identifier: string, salt: string): number {
  const hex = createHash('sha256').update(`${identifier}:${salt}`, 'utf8').digest('hex');
  return (Number.parseInt(hex.slice(-8), 16) / MAX_SUFFIX) * 100;
}
