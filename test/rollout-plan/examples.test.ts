import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfigDir } from '../../src/config/validate-config-dir.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';

describe('the documented rollout plans', () => {
  it.each(['linear-rollout', 'canary-rollout'])(
    'docs/examples/%s.yaml is a valid environment',
    async (name) => {
      const text = readFileSync(join(REPO_DIR, 'docs', 'examples', `${name}.yaml`), 'utf8');
      const temp = await tempConfigDir({ [`environments/${name}.yaml`]: text });
      const report = await validateConfigDir({ configDir: temp.dir, env: {} });
      expect(report.issues).toEqual([]);
    },
  );
});
