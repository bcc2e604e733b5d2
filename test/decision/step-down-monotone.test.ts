import { describe, expect, it } from 'vitest';
import { userBucket } from '../../src/decision/bucket.js';
import { routerIn } from '../helpers/test-router.js';

const PERCENTAGES = [0, 1, 5, 10, 15, 20, 30, 50, 75, 99, 100];
const USERS = Array.from({ length: 4000 }, (_, index) => `user-${index}`);
const SALT = 'step-down-salt';

/** Which users each percentage serves LightRAG, through the real router's decisions. */
async function lightragUsers(abTesting: boolean): Promise<Map<number, Set<string>>> {
  const served = new Map<number, Set<string>>();
  for (const percentage of PERCENTAGES) {
    const { router } = await routerIn({
      'environments/development.yaml': `rollout_percentage: ${percentage}\nenable_ab_testing: ${abTesting}\nuser_hash_salt: ${SALT}\n`,
    });
    served.set(
      percentage,
      new Set(USERS.filter((userId) => router.decideSync({ userId }).backend === 'lightrag')),
    );
  }
  return served;
}

describe('a step down (lowering the percentage) with the threshold hash', () => {
  it.each([false, true])(
    'moves no user to LightRAG, and moves back only the latest adopters (A/B testing %s)',
    async (abTesting) => {
      const served = await lightragUsers(abTesting);
      const share = abTesting ? 0.5 : 1;
      for (const high of PERCENTAGES) {
        for (const low of PERCENTAGES.filter((percentage) => percentage < high)) {
          const before = served.get(high)!;
          const after = served.get(low)!;
          const toLightrag = [...after].filter((userId) => !before.has(userId));
          expect(toLightrag, `${high} % -> ${low} %`).toEqual([]);
          // Those moved back are exactly those whose bucket lies above the lower threshold.
          for (const userId of before) {
            const bucket = userBucket(userId, SALT);
            expect(after.has(userId), `${userId} at ${high} % -> ${low} %`).toBe(
              low > 0 && bucket <= low * share,
            );
          }
        }
      }
    },
  );
});
