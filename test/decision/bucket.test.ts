import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { bucketHasher, userBucket } from '../../src/decision/bucket.js';
import { buildSnapshot } from '../../src/decision/snapshot.js';
import vectors from '../fixtures/python-bucket-vectors.json' with { type: 'json' };
import { REPO_DIR } from '../helpers/config-dir.js';

describe('userBucket', () => {
  it.each(vectors.vectors)(
    'equals Python for id $identifier and salt $salt',
    ({ identifier, salt, bucket, bucketRepr }) => {
      const ours = userBucket(identifier, salt);
      expect(ours).toBe(bucket);
      expect(String(ours)).toBe(bucketRepr);
      expect(bucketHasher(salt)(identifier)).toBe(bucket);
    },
  );

  it('reads the digest as the formula does, for any identifier and salt', () => {
    // The formula as written (hex digest, its last 8 characters, parseInt): the vectors above tie
    // it to Python; this ties the latin1 reading of the digest to it, byte values >= 0x80 included.
    const formula = (identifier: string, salt: string) =>
      (Number.parseInt(
        createHash('sha256').update(`${identifier}:${salt}`).digest('hex').slice(-8),
        16,
      ) /
        0xffffffff) *
      100;
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (identifier, salt) => {
        expect(userBucket(identifier, salt)).toBe(formula(identifier, salt));
        expect(bucketHasher(salt)(identifier)).toBe(formula(identifier, salt));
      }),
      { numRuns: 5000 },
    );
  });

  it('stays within [0, 100]', () => {
    for (let index = 0; index < 2000; index += 1) {
      const bucket = userBucket(`user-${index}`, 'salt');
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThanOrEqual(100);
    }
  });
});

describe('the bucket of a snapshot', () => {
  it('is userBucket under the salt in force, for every identifier', async () => {
    const config = await loadConfig({ configDir: REPO_DIR, environment: 'production', env: {} });
    const built = await buildSnapshot(config);
    if (!built.ok) throw new Error('the shipped production config must build');
    const { snapshot } = built;
    const salt = config.settings.user_hash_salt;
    const hostile = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '0'];
    const ids = [...hostile, 'ünïcödé', '𝄞 clef', 'x'.repeat(5000), ''];
    for (const id of ids) expect(snapshot.bucketOf(id)).toBe(userBucket(id, salt));
  });
});
