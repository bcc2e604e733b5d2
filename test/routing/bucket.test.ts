import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { userBucket } from '../../src/routing/bucket.js';
import { buildSnapshot } from '../../src/routing/snapshot.js';
import vectors from '../fixtures/python-bucket-vectors.json' with { type: 'json' };
import { REPO_DIR } from '../helpers/config-dir.js';

describe('userBucket', () => {
  it.each(vectors.vectors)(
    'equals Python for id $identifier and salt $salt',
    ({ identifier, salt, bucket, bucketRepr }) => {
      const ours = userBucket(identifier, salt);
      expect(ours).toBe(bucket);
      expect(String(ours)).toBe(bucketRepr);
    },
  );

  it('stays within [0, 100]', () => {
    for (let index = 0; index < 2000; index += 1) {
      const bucket = userBucket(`user-${index}`, 'salt');
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThanOrEqual(100);
    }
  });
});

describe('the bucket cache of a snapshot', () => {
  it('gives every identifier its uncached bucket, hostile keys and evictions included', async () => {
    const config = await loadConfig({ configDir: REPO_DIR, environment: 'production', env: {} });
    const built = buildSnapshot(config, { bucketCacheSize: 8 });
    if (!built.ok) throw new Error('the shipped production config must build');
    const { snapshot } = built;
    const salt = config.settings.user_hash_salt;
    const hostile = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '0'];
    const ids = [...hostile, ...Array.from({ length: 40 }, (_, index) => `user-${index}`)];
    // Three passes over more ids than the cache holds: hits, misses and evictions interleave.
    for (let pass = 0; pass < 3; pass += 1) {
      for (const id of ids) expect(snapshot.bucketOf(id)).toBe(userBucket(id, salt));
    }
  });
});
