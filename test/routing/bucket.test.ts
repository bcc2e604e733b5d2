import { describe, expect, it } from 'vitest';
import { userBucket } from '../../src/routing/bucket.js';
import vectors from '../fixtures/python-bucket-vectors.json' with { type: 'json' };

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
