import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfigDir } from '../../src/config/validate-config-dir.js';
import { simulateRollout } from '../../src/rollout-plan/rollout-simulation.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';

describe('the documented rollout plans', () => {
  it.each(['linear-rollout', 'canary-rollout', 'shadow-rollout'])(
    'docs/examples/%s.yaml is a valid environment',
    async (name) => {
      const text = readFileSync(join(REPO_DIR, 'docs', 'examples', `${name}.yaml`), 'utf8');
      const temp = await tempConfigDir({ [`environments/${name}.yaml`]: text });
      const report = await validateConfigDir({ configDir: temp.dir, env: {} });
      expect(report.issues).toEqual([]);
    },
  );

  it('docs/examples/shadow-rollout.yaml stops in its shadow stage when LightRAG is worse on the same queries', async () => {
    const text = readFileSync(join(REPO_DIR, 'docs', 'examples', 'shadow-rollout.yaml'), 'utf8');
    const temp = await tempConfigDir({ 'environments/staging.yaml': text });
    await mkdir(join(temp.dir, 'rules'));
    const result = await simulateRollout({
      configDir: temp.dir,
      environment: 'staging',
      scenario: 'shadow-regression',
    });
    expect(result.final).toEqual({ phase: 'rolled_back', percentage: 0 });
    expect(result.timeline.map((entry) => [entry.event, entry.stage])).toEqual([
      ['start', 1],
      ['rollback', 1],
    ]);
    expect(result.servedByLightrag).toBe(0);
  });
});
