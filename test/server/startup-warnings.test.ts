import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { capturingLogger } from '../helpers/silent-logger.js';
import { testServer } from '../helpers/test-server.js';

const WARNING = /environment production runs on the default user_hash_salt/;

async function startWith(environment: string, env: Record<string, string>) {
  const temp = await tempConfigDir({
    [`environments/${environment}.yaml`]: 'rollout_percentage: 10\n',
  });
  const { logger, lines } = capturingLogger();
  await testServer({ configDir: temp.dir, environment, env, logger, watch: false });
  return lines.filter((line) => line.level === 40).map((line) => String(line.msg));
}

describe('serve warns at start about a production environment on the default salt', () => {
  it('warns for production without a salt of its own', async () => {
    const warnings = await startWith('production', {});
    expect(warnings.filter((message) => WARNING.test(message))).toEqual([
      "environment production runs on the default user_hash_salt: anyone can compute every user's bucket; set LIGHTRAG_USER_HASH_SALT (the same secret on every instance and in the Python service)",
    ]);
  });

  it('warns the same way for an empty salt, from the variable or white space only', async () => {
    for (const salt of ['', '  ']) {
      const warnings = await startWith('production', { LIGHTRAG_USER_HASH_SALT: salt });
      expect(warnings.filter((message) => /runs on an empty user_hash_salt/.test(message))).toEqual(
        [
          "environment production runs on an empty user_hash_salt: anyone can compute every user's bucket; set LIGHTRAG_USER_HASH_SALT (the same secret on every instance and in the Python service)",
        ],
      );
    }
  });

  it('is quiet with a salt from LIGHTRAG_USER_HASH_SALT, and in other environments', async () => {
    const salted = await startWith('production', { LIGHTRAG_USER_HASH_SALT: 'a-real-secret' });
    expect(salted.filter((message) => WARNING.test(message))).toEqual([]);
    const development = await startWith('development', {});
    expect(development.filter((message) => WARNING.test(message))).toEqual([]);
  });
});
